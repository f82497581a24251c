import { describe, expect, it } from 'vitest';
import { undesiredOverlays } from '../../src/network/index.js';

describe('undesiredOverlays', () => {
  it('picks devices and labelled Docker networks of overlays not kept, and nothing else', () => {
    const got = undesiredOverlays(
      ['fltbr-7', 'fltvx-7', 'fltbr-8', 'fltvx-9', 'eth0', 'fltbr-x'],
      [
        { name: 'flotilla-ovl-a', labels: { 'com.flotilla.network.id': 'a' } },
        { name: 'flotilla-ovl-b', labels: { 'com.flotilla.network.id': 'b' } },
        { name: 'operator-net', labels: {} },
        { name: 'bridge', labels: undefined },
      ],
      [{ id: 'a', vni: 7 }],
    );
    expect(got).toEqual({ dockerNetworks: ['flotilla-ovl-b'], vnis: [8, 9] });
  });

  it('keeps everything that is kept', () => {
    expect(undesiredOverlays(['fltbr-7'], [{ name: 'flotilla-ovl-a', labels: { 'com.flotilla.network.id': 'a' } }], [{ id: 'a', vni: 7 }])).toEqual({
      dockerNetworks: [],
      vnis: [],
    });
  });
});
