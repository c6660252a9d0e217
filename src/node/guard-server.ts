/**
 * The node's resident guard: it answers the PreToolUse hooks of the node's sessions on the guard socket
 * (the exchange is in compiler/guard-hook.ts), so that a tool call costs a shell and socat instead of a
 * Node start. A request is answered only for the session its token names, by the policy the node compiled
 * for it; anything it cannot judge is denied, never allowed. The same socket answers the turn gate's
 * PostToolBatch hooks once the gate lets them go (node/turn-gate.ts).
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ASK_PREFIX, askOutput, GATE_HELLO, GUARD_HELLO } from '../compiler/guard-hook.js';
import { decide, type Decision as Verdict, type HookInput } from '../guard/decide.js';
import type { GuardPolicy } from '../guard/policy.js';

export interface GuardServerOptions {
  socket: string;
  /** the home folder policy paths such as ~/.ssh are read against */
  home: string;
  /** the policy of the session `id`, if `token` is that session's; null for any other pair (throws if unreadable) */
  policyFor(id: string, token: string): GuardPolicy | null;
  /** the most a request may hold (a Write's content is in it); default 64 MiB */
  maxBytes?: number;
  /**
   * the turn gate: resolves when a PostToolBatch hook of session `id` may be answered (its answer says nothing:
   * the hook never blocks). Without it, or for a token that is not the session's, the hook is answered at once.
   */
  gate?(id: string, token: string, input: unknown): Promise<void>;
  /** told of each call it refuses: the session it named (null when no session of the node sent it) and why */
  onDeny?(block: GuardBlock): void;
}

export interface GuardBlock {
  session: string | null;
  tool: string | null;
  input: unknown;
  reason: string;
}

export interface GuardServer {
  close(): Promise<void>;
}

const HEADER_MAX = 512;

const denied = (reason: string): Verdict => ({ verdict: 'deny', reason });

/** The answer line for a verdict (see guard-hook.ts). */
export function answerFor(v: Verdict): string {
  switch (v.verdict) {
    case 'allow':
      return 'allow\n';
    case 'ask': {
      const line = `ask ${askOutput(v.reason)}`;
      // the client passes on only this shape; anything else would block, so say so here instead
      return line.startsWith(ASK_PREFIX) ? `${line}\n` : answerFor(denied(v.reason));
    }
    case 'deny':
      return `deny agency guard blocked this call: ${v.reason}\n`;
  }
}

export function startGuardServer(o: GuardServerOptions): Promise<GuardServer> {
  const max = o.maxBytes ?? 64 * 1024 * 1024;

  /** The verdict, with the session and the call as far as they could be read (for onDeny). */
  const evaluate = (header: string, body: string): { v: Verdict; session: string | null; input: HookInput | null } => {
    const [hello, id, token, ...rest] = header.split(' ');
    const no = (reason: string, session: string | null = null, input: HookInput | null = null) => ({
      v: denied(reason),
      session,
      input,
    });
    if (hello !== GUARD_HELLO || !id || !token || rest.length > 0)
      return no('the hook spoke a language this node does not (compile the session again)');
    let policy: GuardPolicy | null;
    try {
      policy = o.policyFor(id, token);
    } catch (e) {
      return no(`the node cannot read the policy of session ${id}: ${(e as Error).message}`, id);
    }
    if (!policy) return no(`the node has no session ${id} with this token`);
    let input: HookInput;
    try {
      input = JSON.parse(body) as HookInput;
    } catch {
      return no('the tool call could not be read (malformed hook input)', id);
    }
    if (typeof input !== 'object' || input === null) return no('the tool call could not be read', id);
    try {
      return { v: decide(input, policy, o.home), session: id, input };
    } catch (e) {
      return no(`the guard failed (${(e as Error).message}); failing closed`, id, input);
    }
  };

  const judge = (header: string, body: string): Verdict => {
    const { v, session, input } = evaluate(header, body);
    if (v.verdict === 'deny')
      o.onDeny?.({
        session,
        tool: input && typeof input.tool_name === 'string' ? input.tool_name : null,
        input: input?.tool_input,
        reason: v.reason,
      });
    return v;
  };

  /** A turn gate's request: answered when the gate lets it go, or at once if it cannot be read. */
  const pass = async (header: string, body: string): Promise<void> => {
    const [, id, token, ...rest] = header.split(' ');
    if (!o.gate || !id || !token || rest.length > 0) return;
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      return;
    }
    await o.gate(id, token, input);
  };

  const serve = (c: Socket) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const reply = (v: Verdict) => {
      if (done) return;
      done = true;
      c.end(answerFor(v));
    };
    c.on('error', () => c.destroy());
    // the client gives up long before this (guard-hook.ts); a peer that never finishes is dropped
    c.setTimeout(60_000, () => c.destroy());
    c.on('data', (d: Buffer) => {
      if (done) return;
      size += d.length;
      if (size > max) {
        const reason = `the tool call is larger than the guard reads (${max} bytes)`;
        o.onDeny?.({ session: null, tool: null, input: undefined, reason });
        return reply(denied(reason));
      }
      parts.push(d);
    });
    c.on('end', () => {
      if (done) return;
      const all = Buffer.concat(parts);
      const nl = all.indexOf(10);
      if (nl < 0 || nl > HEADER_MAX) return reply(denied('the hook sent no header'));
      const header = all.subarray(0, nl).toString('utf8');
      if (header.startsWith(`${GATE_HELLO} `)) {
        done = true;
        const answer = () => c.end('ok\n');
        return void pass(header, all.subarray(nl + 1).toString('utf8')).then(answer, answer);
      }
      reply(judge(header, all.subarray(nl + 1).toString('utf8')));
    });
  };

  if (Buffer.byteLength(o.socket) > 103)
    throw new Error(
      `the guard socket path ${o.socket} is too long for a Unix socket; set AGENCY_HOME to a shorter folder`,
    );
  rmSync(o.socket, { force: true });
  // the client ends its half when it has sent the call, and waits for the answer on the other half
  const server: Server = createServer({ allowHalfOpen: true }, serve);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.socket, () => {
      server.off('error', reject);
      chmodSync(o.socket, 0o600);
      resolve({
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            rmSync(o.socket, { force: true });
          }),
      });
    });
  });
}
