/** A word for a POSIX shell command line: single-quoted, with each `'` closed, escaped and reopened. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
