// inspect's output: the Engine API's shape (docker-shape) as docker prints it, and --format
// run over it with missingkey=error; --pretty and --format refuse each other.
import { Service, ServiceMode } from '@flotilla/api';
import { dockerService } from '@flotilla/docker-shape';
import { describe, expect, it } from 'vitest';
import { checkPrettyFormat, renderInspect } from '../src/output/inspect-format.js';

const web = dockerService(
  Service.fromPartial({
    id: 'svc1',
    meta: { version: 19, createdAt: Date.UTC(2026, 0, 2, 3, 4, 5, 600), updatedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 600) },
    spec: { annotations: { name: 'web', labels: { tier: '<front>' } }, mode: ServiceMode.SERVICE_MODE_REPLICATED, replicas: 3, task: { container: { image: 'busybox', args: ['sleep', '60'] } } },
  }),
);

describe('inspect output', () => {
  it("prints a JSON array indented by four spaces, escaping HTML as Go's encoder does", () => {
    const out = renderInspect([web]);
    expect(out.startsWith('[\n    {\n        "ID": "svc1",\n        "Version": {\n            "Index": 19\n        },\n        "CreatedAt": "2026-01-02T03:04:05.6Z",')).toBe(true);
    expect(out).toContain('"tier": "\\u003cfront\\u003e"');
    expect(out.endsWith('\n    }\n]\n')).toBe(true);
    expect(JSON.parse(out)).toEqual([JSON.parse(JSON.stringify(web))]);
  });

  it('runs --format over each object: nested fields, functions, json; a missing key is an error', () => {
    expect(renderInspect([web, web], '{{.Spec.Name}} {{.Spec.Mode.Replicated.Replicas}} {{join .Spec.TaskTemplate.ContainerSpec.Args " "}}')).toBe('web 3 sleep 60\nweb 3 sleep 60\n');
    expect(renderInspect([web], '{{json .Spec.Labels}}')).toBe('{"tier":"<front>"}\n');
    expect(renderInspect([web], '{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}}{{end}}')).toBe('tier=<front>\n');
    expect(() => renderInspect([web], '{{.Spec.Nope}}')).toThrow('template parsing error: template: :1:7: executing "" at <.Spec.Nope>: map has no entry for key "Nope"');
  });

  it('refuses --pretty with --format as docker does (exit 2)', () => {
    expect(() => checkPrettyFormat({ pretty: true, format: '{{.ID}}' })).toThrow(expect.objectContaining({ exitCode: 2, message: '--format is incompatible with human friendly format' }));
    expect(() => checkPrettyFormat({ pretty: true })).not.toThrow();
  });
});
