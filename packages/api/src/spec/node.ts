import { NodeAvailability, NodeRole, type NodeSpec } from '../gen/flotilla/node.js';
import { checkEnum, Problems, type SpecInput } from './problems.js';
import { checkAnnotations, type Checked } from './service.js';

/**
 * Validates a NodeSpec (as `docker node update` sets it) and returns it with
 * defaults: role worker, availability active. The name is optional (nodes are
 * known by hostname) but must be valid when given. Throws the first SpecError.
 */
export function validateNodeSpec(input: SpecInput<NodeSpec>): NodeSpec {
  const { spec, problems } = checkNodeSpec(input);
  if (problems[0]) throw problems[0];
  return spec;
}

export function checkNodeSpec(input: SpecInput<NodeSpec>): Checked<NodeSpec> {
  const p = new Problems();
  const spec: NodeSpec = {
    annotations: checkAnnotations(p, input.annotations, 'node', false),
    desiredRole: input.desiredRole ?? NodeRole.NODE_ROLE_WORKER,
    availability: input.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE,
  };
  checkEnum(p, 'desiredRole', NodeRole, spec.desiredRole);
  checkEnum(p, 'availability', NodeAvailability, spec.availability);
  return { spec, problems: p.list };
}
