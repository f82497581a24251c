/** The message of anything thrown, for task errors and logs. */
export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
