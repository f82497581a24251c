/**
 * Objects in the store are shared by every reader and every event; freezing them turns an
 * accidental mutation by a consumer into an immediate TypeError instead of silent divergence
 * from the other managers.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (!ArrayBuffer.isView(value)) for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
