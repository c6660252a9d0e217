/** The resident guard in the daemon: its socket beside the node's, each session's token and its policy. */
import { homedir } from 'node:os';
import { guardSocketOf } from '../compiler/index.js';
import type { GuardPolicy } from '../guard/policy.js';
import type { NodePaths } from '../paths/node-home.js';
import type { AuditSink } from '../audit/sink.js';
import { describeCall } from './approvals.js';
import { GuardAudit } from './guard-audit.js';
import { startGuardServer, type GuardServer, type GuardServerOptions } from './guard-server.js';
import type { SessionTokens } from './session-tokens.js';

/**
 * Starts the node's resident guard. `policyOf` gives the policy the node compiled for a session, from its
 * own copy (never the worktree's, which the session could change), or null for a session it does not have;
 * each call it refuses goes to the audit trail (bounded per caller: guard-audit.ts). `gate` holds the sessions'
 * PostToolBatch hooks (turn-gate.ts).
 */
export async function startResidentGuard(
  paths: NodePaths,
  tokens: Pick<SessionTokens, 'holds'>,
  policyOf: (id: string) => GuardPolicy | null,
  audit?: AuditSink,
  gate?: GuardServerOptions['gate'],
): Promise<GuardServer> {
  const refusals = audit ? new GuardAudit(audit) : null;
  const server = await startGuardServer({
    ...(gate ? { gate } : {}),
    socket: guardSocketOf(paths.socket),
    home: process.env.HOME || homedir(),
    policyFor: (id, token) => (tokens.holds(id, token) ? policyOf(id) : null),
    // each refusal, in the audit trail: the session's own (the policy's) and a caller's no session owns
    onDeny: (b) => {
      const call = b.tool ? `${b.tool} ${describeCall(b.tool, b.input)}` : 'a tool call';
      refusals?.deny({
        kind: 'guard-block',
        // a deny rule of the discipline's approvals names itself; anything else is the guard's own
        by: `policy:${/^agency policy denies this \((.+?)\): /.exec(b.reason)?.[1] ?? 'guard'}`,
        session: b.session,
        summary: `guard blocked ${call}: ${b.reason}`,
        detail: { tool: b.tool, call: b.tool ? describeCall(b.tool, b.input) : null, reason: b.reason },
      });
    },
  });
  return {
    close: async () => {
      await server.close();
      refusals?.flush();
    },
  };
}
