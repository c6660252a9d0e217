/**
 * `~/.agency/node.env` (under AGENCY_HOME): KEY=VALUE lines for a node's daemon and its sessions (an API
 * key's variable, a proxy, the claude to run). Blank lines and `#` comments are skipped, `export ` before
 * a name is allowed, and one pair of matching quotes around a value is taken off. The daemon reads it when
 * it starts; `agency doctor` and `agency init` read it too. Values may be secrets: only names and line
 * numbers are ever shown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const nodeEnvPath = (home: string) => join(home, 'node.env');

export interface NodeEnv {
  /** the variables, in the order the file sets them; where a name repeats, its first line holds */
  vars: Record<string, string>;
  /** numbers of the lines that are not KEY=VALUE (ignored) */
  skipped: number[];
}

export function parseNodeEnv(text: string): NodeEnv {
  const vars: Record<string, string> = {};
  const skipped: number[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) skipped.push(i + 1);
    else if (!Object.hasOwn(vars, m[1]!)) vars[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  });
  return { vars, skipped };
}

/** The node.env of a node's home, or null when there is none. */
export function readNodeEnv(home: string): NodeEnv | null {
  let text: string;
  try {
    text = readFileSync(nodeEnvPath(home), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return parseNodeEnv(text);
}
