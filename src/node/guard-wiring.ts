/** The resident guard in the daemon: its socket beside the node's, and each session's token and policy. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { guardSocketOf, POLICY_FILE, type HookPrograms } from '../compiler/index.js';
import type { NodePaths } from '../paths/node-home.js';
import { startGuardServer } from './guard-server.js';
import { sessionTokens } from './guard-token.js';

export interface ResidentGuard {
  /** what a session's compiled hooks carry to reach the node as that session */
  sessionHooks(id: string): NonNullable<HookPrograms['session']>;
  close(): Promise<void>;
}

export async function startResidentGuard(
  paths: NodePaths,
  worktreeOf: (id: string) => string | null,
): Promise<ResidentGuard> {
  const tokens = sessionTokens(paths.runDir);
  const server = await startGuardServer({
    socket: guardSocketOf(paths.socket),
    home: process.env.HOME || homedir(),
    policyFor(id, token) {
      if (!tokens.check(id, token)) return null;
      const wt = worktreeOf(id);
      return wt ? join(wt, POLICY_FILE) : null;
    },
  });
  return {
    sessionHooks: (id) => ({ socket: paths.socket, id, token: tokens.tokenFor(id) }),
    close: () => server.close(),
  };
}
