/**
 * A rejected piece of user input. `field` is the dotted path of the offending
 * value inside the spec ("task.restart.delayMs", "endpoint.ports[1]"), or the
 * kind of value for free-standing parsers ("constraint", "duration"), so an API
 * can point at it; `message` is the sentence shown to the user.
 */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
