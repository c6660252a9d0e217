/** Ids of disciplines, agents, tools and hooks: also file names, so they must be safe path segments. */
export const ID_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function idProblem(kind: string, id: string): string {
  return `${kind} id ${JSON.stringify(id)} is not valid: use lowercase letters, digits and hyphens, starting with a letter (at most 64 characters)`;
}
