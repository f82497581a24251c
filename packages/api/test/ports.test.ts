import { describe, expect, it } from 'vitest';
import { PortProtocol, PublishMode, SpecError, parsePublish, validateServiceSpec } from '../src/index.js';

const tcp = PortProtocol.PORT_PROTOCOL_TCP;
const udp = PortProtocol.PORT_PROTOCOL_UDP;
const ingress = PublishMode.PUBLISH_MODE_INGRESS;
const host = PublishMode.PUBLISH_MODE_HOST;
const port = (targetPort: number, publishedPort: number, protocol = tcp, publishMode = ingress, name = '') => ({
  name,
  protocol,
  targetPort,
  publishedPort,
  publishMode,
});

describe('parsePublish', () => {
  it.each([
    ['80:80/tcp', [port(80, 80)]],
    ['8080:80', [port(80, 8080)]],
    ['80', [port(80, 0)]],
    ['53:53/udp', [port(53, 53, udp)]],
    ['53/UDP', [port(53, 0, udp)]],
    ['8000-8002:80-82', [port(80, 8000), port(81, 8001), port(82, 8002)]],
    ['7000-7001/udp', [port(7000, 0, udp), port(7001, 0, udp)]],
    ['target=80,published=8080', [port(80, 8080)]],
    ['mode=host,target=80,published=8080,protocol=udp', [port(80, 8080, udp, host)]],
    ['target=443, name=https', [port(443, 0, tcp, ingress, 'https')]],
  ])('%s', (text, want) => {
    expect(parsePublish(text)).toEqual(want);
  });

  it.each([
    ['', 'invalid port "": empty'],
    ['0:80', 'invalid port "0:80": published port 0 is outside 1-65535'],
    ['80:65536', 'invalid port "80:65536": target port 65536 is outside 1-65535'],
    ['http', 'invalid port "http": target port "http" is not a number'],
    ['80/sctp', 'invalid port "80/sctp": protocol must be tcp or udp, not "sctp"'],
    ['127.0.0.1:80:80', 'invalid port "127.0.0.1:80:80": a host IP cannot be given for a service port (use published:target)'],
    ['8000-8001:80-82', 'invalid port "8000-8001:80-82": published side has 2 port(s) but target side has 3'],
    ['8080:80-81', 'invalid port "8080:80-81": published side has 1 port(s) but target side has 2'],
    ['90-80', 'invalid port "90-80": target range 90-80 ends before it starts'],
    ['published=8080', 'invalid port "published=8080": target port is required'],
    ['target=80,mode=bridge', 'invalid port "target=80,mode=bridge": mode must be "ingress" or "host", not "bridge"'],
    ['target=80,ip=1.2.3.4', 'invalid port "target=80,ip=1.2.3.4": unknown key "ip" (use target, published, protocol, mode, name)'],
    ['target=80,host', 'invalid port "target=80,host": "host" must be key=value'],
  ])('rejects %j', (text, message) => {
    expect(() => parsePublish(text)).toThrow(new SpecError('publish', message));
    expect(() => parsePublish(text)).toThrow(message);
  });

  it('feeds validateServiceSpec, which catches clashes between flags', () => {
    const ports = [...parsePublish('8080:80'), ...parsePublish('8080:81')];
    expect(() =>
      validateServiceSpec({ annotations: { name: 'web' }, task: { container: { image: 'web' } }, endpoint: { ports } }),
    ).toThrow('published port 8080/tcp is already used by endpoint.ports[0]');
  });
});
