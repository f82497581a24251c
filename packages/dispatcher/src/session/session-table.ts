/**
 * Which session each node holds. A node has at most one: opening a new one ends the old,
 * so a heartbeat or status batch that still carries the old id is refused and the agent
 * that sent it learns it must re-open. Pure: ids come from the caller.
 */
export interface Session {
  readonly id: string;
  readonly nodeId: string;
  /** When it was opened (ms since the epoch). */
  readonly openedAt: number;
}

export class SessionTable {
  private readonly byNode = new Map<string, Session>();

  /** Starts a session for `nodeId`; returns the one it replaced, if any. */
  open(nodeId: string, sessionId: string, now = Date.now()): { session: Session; replaced: Session | undefined } {
    const replaced = this.byNode.get(nodeId);
    const session = { id: sessionId, nodeId, openedAt: now };
    this.byNode.set(nodeId, session);
    return { session, replaced };
  }

  /** The session, if `sessionId` is the live session of `nodeId`. */
  find(nodeId: string, sessionId: string): Session | undefined {
    const s = this.byNode.get(nodeId);
    return s && s.id === sessionId ? s : undefined;
  }

  ofNode(nodeId: string): Session | undefined {
    return this.byNode.get(nodeId);
  }

  /** Ends the node's session (node marked down, dispatcher stopping). */
  close(nodeId: string): Session | undefined {
    const s = this.byNode.get(nodeId);
    this.byNode.delete(nodeId);
    return s;
  }

  get size(): number {
    return this.byNode.size;
  }

  all(): Session[] {
    return [...this.byNode.values()];
  }
}
