/** A problem found in a registry file, located as precisely as the file allows. */
export interface Problem {
  /** path of the file, relative to the registry root when it is inside it */
  file: string;
  /** 1-based line, or 0 when the problem concerns the file as a whole */
  line: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  return p.line > 0 ? `${p.file}:${p.line}: ${p.message}` : `${p.file}: ${p.message}`;
}

/** Thrown when a registry cannot be used; carries every problem found, not just the first. */
export class RegistryError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'RegistryError';
  }
}
