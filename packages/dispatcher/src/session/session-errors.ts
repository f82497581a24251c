import { BusErrorCode, BusRequestError } from '@flotilla/bus';

/**
 * The answer to a request that carries a session the dispatcher does not hold (never
 * opened, replaced by a newer one, or ended when the node was marked down). NOT_FOUND is
 * the agent's signal to open a new session.
 */
export function sessionNotFound(nodeId: string, sessionId: string): BusRequestError {
  return new BusRequestError(
    BusErrorCode.NOT_FOUND,
    `session ${JSON.stringify(sessionId)} of node ${nodeId} is unknown or expired; open a new session`,
  );
}
