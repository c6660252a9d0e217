/** Where agency's own files are: the package root, the default registry, the built programs a session runs. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The folder holding agency's package.json, found from this module's own location. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'agency') return (cached = dir);
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the agency package root');
    dir = parent;
  }
}

export const defaultRegistryDir = () => join(packageRoot(), 'registry');
/** The registry runs compile from and an organisation's overlay lies over: AGENCY_REGISTRY, else the one agency ships. */
export const baseRegistryDir = (env: NodeJS.ProcessEnv = process.env) => env.AGENCY_REGISTRY || defaultRegistryDir();
export const guardScriptPath = () => join(packageRoot(), 'dist', 'guard', 'guard.cjs');
export const lifecycleHookPath = () => join(packageRoot(), 'dist', 'guard', 'hook.cjs');
export const mcpServerPath = () => join(packageRoot(), 'dist', 'dispatch', 'mcp.cjs');
