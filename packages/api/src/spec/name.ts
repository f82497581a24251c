/** Docker's rule for service, network and node names. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const NAME_MAX_LENGTH = 63;

/** Returns why `name` is not a valid object name, or undefined when it is. */
export function nameProblem(kind: string, name: string): string | undefined {
  if (name === '') return `${kind} name must not be empty`;
  if (name.length > NAME_MAX_LENGTH) return `${kind} name ${JSON.stringify(name)} is longer than ${NAME_MAX_LENGTH} characters`;
  if (!NAME_PATTERN.test(name)) {
    return `${kind} name ${JSON.stringify(name)} is invalid: it must start with a letter or digit and contain only letters, digits, "_", "." and "-"`;
  }
  return undefined;
}
