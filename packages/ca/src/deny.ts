/** Removed nodes: their certificates stay cryptographically valid until expiry, so the CA and every TLS peer must check this list. */
export function isDenied(nodeId: string, deniedIds: Iterable<string>): boolean {
  if (deniedIds instanceof Set) return deniedIds.has(nodeId);
  for (const id of deniedIds) if (id === nodeId) return true;
  return false;
}
