/**
 * Objects in the store are shared by every reader and every event; freezing them turns an
 * accidental mutation by a consumer into an immediate TypeError instead of silent divergence
 * from the other managers. Byte arrays (certificates, keys) cannot be frozen by the language
 * and are left as they are.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}
