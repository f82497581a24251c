/** Labels Flotilla puts on every task container: how a restarted agent finds its own. */
export const LABEL_SERVICE_ID = 'io.flotilla.service.id';
export const LABEL_SERVICE_NAME = 'io.flotilla.service.name';
export const LABEL_TASK_ID = 'io.flotilla.task.id';
export const LABEL_NODE_ID = 'io.flotilla.node.id';
