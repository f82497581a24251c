// docker's list output: Go's tabwriter, `--format` (table/json/templates/-q) over row contexts,
// the PORTS and ERROR columns, and `--filter` refusals mapped to exit codes.
import { PortProtocol, PublishMode, Service, ServiceMode, Task, TaskState, type ServiceView } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { listFilters, withNodeIds } from '../src/output/list-filters.js';
import { chooseFormat, renderList } from '../src/output/list-format.js';
import { NETWORK_LIST } from '../src/output/object-list-contexts.js';
import { portsColumn, SERVICE_LIST, taskError } from '../src/output/swarm-list-contexts.js';
import { tabwrite } from '../src/output/tabwriter.js';

describe("Go's tabwriter (minwidth 10, padding 3)", () => {
  // Each expected text is what Go 1.19's text/tabwriter printed for the same input
  // (tabwriter.NewWriter(&b, 10, 1, 3, ' ', 0)), run once by hand.
  it.each([
    ['ID\tNAME\tPORTS\nabc\tweb\t\nabcdef123456\tapi-gateway\t*:80->80/tcp\n', 'ID             NAME          PORTS\nabc            web           \nabcdef123456   api-gateway   *:80->80/tcp\n'],
    ['A\tB\nlong cell here\tx\nno tabs line\nq\tr\n', 'A                B\nlong cell here   x\nno tabs line\nq         r\n'],
    ['a\tb\tc\nd\te\nf\tg\th\ti\n', 'a         b         c\nd         e\nf         g         h         i\n'],
    ['héllo\twörld\nx\ty\n', 'héllo     wörld\nx         y\n'],
  ])('aligns %j as Go does', (input, expected) => {
    expect(tabwrite(input)).toBe(expected);
  });
});

const view = (name: string, id: string, labels: Record<string, string> = {}, ports: Parameters<typeof portsColumn>[0] = []): ServiceView => ({
  service: Service.fromPartial({
    id,
    spec: { annotations: { name, labels }, mode: ServiceMode.SERVICE_MODE_REPLICATED, replicas: 2, task: { container: { image: 'flotilla/busybox:latest@sha256:0123abcd' } }, endpoint: { ports: [...ports] } },
  }),
  runningTasks: 1,
  desiredTasks: 2,
  completedTasks: 0,
});
const web = view('web', 'aaaaaaaaaaaaaaaaaaaaaaaaa', { tier: 'front' }, [{ name: '', protocol: PortProtocol.PORT_PROTOCOL_TCP, targetPort: 80, publishedPort: 8080, publishMode: PublishMode.PUBLISH_MODE_INGRESS }]);
const db = view('db', 'bbbbbbbbbbbbbbbbbbbbbbbbb');

describe('--format over a list', () => {
  it('picks the default table, -q, json, a table template or a plain template as docker does', () => {
    expect(chooseFormat(SERVICE_LIST, {})).toEqual({ table: true, template: '{{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}' });
    expect(chooseFormat(SERVICE_LIST, { quiet: true })).toEqual({ table: false, template: '{{.ID}}' });
    // -q gives way to a template, as docker's NewListFormat does
    expect(chooseFormat(SERVICE_LIST, { quiet: true, format: '{{.Name}}' })).toEqual({ table: false, template: '{{.Name}}' });
    expect(chooseFormat(SERVICE_LIST, { format: 'json' })).toEqual({ table: false, template: '{{json .}}' });
    expect(chooseFormat(SERVICE_LIST, { format: 'table {{.Name}}\\t{{.Mode}}' })).toEqual({ table: true, template: '{{.Name}}\t{{.Mode}}' });
  });

  it("prints docker's table with headers, the image without its digest and the PORTS column", () => {
    expect(renderList(SERVICE_LIST, [web])).toBe(
      'ID             NAME      MODE         REPLICAS   IMAGE                     PORTS\naaaaaaaaaaaa   web       replicated   1/2        flotilla/busybox:latest   *:8080->80/tcp\n',
    );
  });

  it('runs templates: fields, functions, if/range, json of the row and header functions kept as headers', () => {
    expect(renderList(SERVICE_LIST, [web, db], { format: '{{.Name | upper}}:{{if eq .Mode "replicated"}}R{{end}}' })).toBe('WEB:R\nDB:R\n');
    expect(renderList(SERVICE_LIST, [web], { format: '{{range $i, $p := split .Replicas "/"}}[{{$i}}={{$p}}]{{end}}' })).toBe('[0=1][1=2]\n');
    expect(renderList(SERVICE_LIST, [web], { format: '{{json .}}' })).toBe(
      '{"ID":"aaaaaaaaaaaa","Image":"flotilla/busybox:latest","Mode":"replicated","Name":"web","Ports":"*:8080->80/tcp","Replicas":"1/2"}\n',
    );
    expect(renderList(SERVICE_LIST, [web], { format: 'table {{.Name | upper}}\t{{truncate .ID 4}}' })).toBe('NAME      ID\nWEB       aaaa\n');
  });

  it('calls methods with arguments ({{.Label "k"}}) and joins labels', () => {
    const nets = [{ network: { id: 'n1', spec: { annotations: { name: 'front', labels: { b: '2', a: '1' } }, driver: 'overlay' } }, services: [], tasks: [] }] as never[];
    expect(renderList(NETWORK_LIST, nets, { format: '{{.Name}} {{.Label "a"}} {{.Labels}} {{.Scope}}' })).toBe('front 1 a=1,b=2 swarm\n');
  });

  it("fails with Go's words, exit 1: a parse error, an unknown field of the row", () => {
    const fail = (format: string) => {
      try {
        renderList(SERVICE_LIST, [web], { format });
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        return `${(err as CliError).exitCode} ${(err as Error).message}`;
      }
      return 'no error';
    };
    expect(fail('{{.Name')).toBe('1 template parsing error: template: :1: unclosed action');
    expect(fail('{{.Nope}}')).toBe('1 template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.serviceContext');
  });
});

describe('service ls PORTS, service ps ERROR', () => {
  it('shows mesh ports as docker does, consecutive ones as ranges, host-mode ports not at all', () => {
    const p = (publishedPort: number, targetPort: number, protocol = PortProtocol.PORT_PROTOCOL_TCP, publishMode = PublishMode.PUBLISH_MODE_INGRESS) => ({ name: '', protocol, targetPort, publishedPort, publishMode });
    expect(portsColumn([p(8081, 81), p(8080, 80), p(53, 53, PortProtocol.PORT_PROTOCOL_UDP), p(9000, 90, PortProtocol.PORT_PROTOCOL_TCP, PublishMode.PUBLISH_MODE_HOST)])).toBe('*:8080-8081->80-81/tcp, *:53->53/udp');
    expect(portsColumn([])).toBe('');
  });

  it("shows why a pending task waits (the scheduler's reason), truncated unless --no-trunc", () => {
    const reason = 'no suitable node (insufficient resources on 1 node)';
    const pending = Task.fromPartial({ status: { state: TaskState.TASK_STATE_PENDING, pendingReason: reason } });
    expect(taskError(pending, true)).toBe(`"${reason}"`);
    expect(taskError(pending, false)).toBe('"no suitable node (insufficient resource…"');
    // once it left PENDING the old reason is not shown; a task error always is
    expect(taskError(Task.fromPartial({ status: { state: TaskState.TASK_STATE_RUNNING, pendingReason: reason } }), true)).toBe('');
    expect(taskError(Task.fromPartial({ status: { state: TaskState.TASK_STATE_FAILED, err: 'task: non-zero exit (1)' } }), true)).toBe('"task: non-zero exit (1)"');
  });
});

describe('--filter', () => {
  it('refuses a malformed filter as usage (2) and an unknown key as the daemon does (1)', () => {
    expect(() => listFilters('service', ['web'])).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => listFilters('service', ['node=x'])).toThrow(expect.objectContaining({ exitCode: 1, message: "invalid filter 'node'" }));
    expect(() => listFilters('node', ['role=boss'])).toThrow("Invalid role filter: 'boss'");
    expect(listFilters('secret', ['name=db', 'label=env=prod']).get('label')).toEqual(['env=prod']);
  });

  it('takes node hostnames and self in a task filter as the node ids they name', () => {
    const f = withNodeIds(listFilters('task', ['node=host-1', 'node=self', 'node=n9']), { n1: 'host-1', n2: 'host-2' }, 'n2');
    expect(f.get('node')).toEqual(['n1', 'n2', 'n9']);
  });
});
