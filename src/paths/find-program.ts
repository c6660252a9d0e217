/** Finding the program a command names, as a shell would, before a session is started with it. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The program a command names, as a shell finds it: a path, or the first executable file of that name on PATH. */
export function findProgram(command: string, path = ''): string | null {
  const runnable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return runnable(command) ? command : null;
  for (const dir of path.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const p = join(dir, command);
    if (runnable(p)) return p;
  }
  return null;
}
