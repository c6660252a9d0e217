import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const AGENCY_BIN = fileURLToPath(new URL('../../bin/agency', import.meta.url));

/** Runs the built `agency` CLI as a user would. */
export function agency(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(process.execPath, [AGENCY_BIN, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    input: opts.input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
