// Broken files are refused with file:line: key: reason, every problem at once.
import { describe, expect, it } from 'vitest';
import { StackFileErrors } from '../src/index.js';
import { loadText } from './helpers.js';

function problems(text: string, env: Record<string, string> = {}, more: string[] = []): string[] {
  try {
    loadText(text, env, more);
  } catch (err) {
    if (err instanceof StackFileErrors) return err.problems.map((p) => p.message);
    throw err;
  }
  throw new Error('the file was accepted');
}

describe('refused compose files', () => {
  it.each([
    ['YAML syntax', 'version: "3.8"\nservices:\n  web:\n    image: [unclosed\n', /^stack\.yml:[45]: YAML syntax error/],
    ['unknown key', 'version: "3.8"\nservices:\n  web:\n    image: a\n    imgae: b\n', /^stack\.yml:5: services\.web\.imgae: services\.web Additional property imgae is not allowed$/],
    ['wrong type', 'version: "3.8"\nservices:\n  web:\n    image: a\n    deploy:\n      replicas: two\n', /^stack\.yml:6: services\.web\.deploy\.replicas: must be an integer \(got "two"\)$/],
    ['missing required variable', 'version: "3.8"\nservices:\n  web:\n    image: "a:${TAG:?set TAG first}"\n', /^stack\.yml:4: services\.web\.image: required variable TAG is missing a value: set TAG first$/],
    ['bad port', 'version: "3.8"\nservices:\n  web:\n    image: a\n    ports: ["80:abc"]\n', /^stack\.yml:5: services\.web\.ports\[0\]: invalid port "80:abc"/],
    ['port used twice in the stack', 'version: "3.8"\nservices:\n  a:\n    image: a\n    ports: ["80:80"]\n  b:\n    image: b\n    ports: ["80:8080"]\n', /^stack\.yml:8: services\.b\.ports\[0\]: port 80\/tcp is already published by service a$/],
    ['undefined network', 'version: "3.8"\nservices:\n  web:\n    image: a\n    networks: [front]\n', /^stack\.yml:5: services\.web\.networks\.front: service "web" refers to undefined network front$/],
    ['dependency cycle', 'version: "3.8"\nservices:\n  a:\n    image: a\n    depends_on: [b]\n  b:\n    image: b\n    depends_on: [a]\n', /^stack\.yml:5: services\.a\.depends_on: dependency cycle: a -> b -> a$/],
    ['key newer than the file', 'version: "3.4"\nservices:\n  web:\n    image: a\n    init: true\n', /^stack\.yml:5: services\.web\.init: init needs compose file format 3\.7 or later \(this file is 3\.4\)$/],
    ['refused key', 'version: "3.8"\nservices:\n  web:\n    image: a\n    deploy:\n      placement:\n        preferences:\n          - spread: node.labels.zone\n', /^stack\.yml:7: services\.web\.deploy\.placement\.preferences: not supported yet: placement preferences/],
    ['compose v2 file', 'version: "2.4"\nservices:\n  web:\n    image: a\n', /^stack\.yml:1: version: unsupported Compose file version: 2\.4/],
    ['no image', 'version: "3.8"\nservices:\n  web:\n    build: .\n', /^stack\.yml:3: services\.web\.image: service web has no image/],
    ['bad constraint', 'version: "3.8"\nservices:\n  web:\n    image: a\n    deploy:\n      placement:\n        constraints: ["node.labels.x=y"]\n', /^stack\.yml:7: services\.web\.deploy\.placement\.constraints\[0\]: constraint "node\.labels\.x=y" must use == or !=/],
  ])('%s', (_name, text, pattern) => {
    const list = problems(text);
    expect(list[0]).toMatch(pattern);
  });

  it('says every problem, not only the first', () => {
    const list = problems('version: "3.8"\nservices:\n  web:\n    image: a\n    imgae: b\n    tty: "yes"\n');
    expect(list).toHaveLength(2);
    expect(list[1]).toMatch(/^stack\.yml:6: services\.web\.tty: must be a boolean/);
  });

  it('names the override file a problem is in', () => {
    const list = problems('version: "3.8"\nservices:\n  web:\n    image: a\n', {}, ['services:\n  web:\n    replicas: 3\n']);
    expect(list[0]).toMatch(/^override1\.yml:3: services\.web\.replicas: services\.web Additional property replicas is not allowed$/);
  });

  it('a problem inside an anchor merged with << points at the service that uses it', () => {
    const list = problems('version: "3.8"\nx-base: &base\n  image: a\nservices:\n  web:\n    <<: *base\n    deploy:\n      mode: daemon\n');
    expect(list[0]).toMatch(/^stack\.yml:8: services\.web\.deploy\.mode: not supported yet: deploy mode "daemon"/);
  });
});

describe('YAML details compose files rely on', () => {
  it('reads a file mode written 0440 as octal, like docker', async () => {
    const { loadText: load } = await import('./helpers.js');
    const m = load('version: "3.8"\nservices:\n  web:\n    image: a\n    configs:\n      - source: c\n        mode: 0440\nconfigs:\n  c:\n    external: true\n').model;
    expect(m.services['web']!.configs![0]!.mode).toBe(0o440);
  });
});
