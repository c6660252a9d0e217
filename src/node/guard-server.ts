/**
 * The node's resident guard: it answers the PreToolUse hooks of the node's sessions on the guard socket
 * (the exchange is in compiler/guard-hook.ts), so that a tool call costs a shell and socat instead of a
 * Node start. A request is answered only for the session its token names, by the policy the node compiled
 * for it; anything it cannot judge is denied, never allowed.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ASK_PREFIX, askOutput, GUARD_HELLO } from '../compiler/guard-hook.js';
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

  const judge = (header: string, body: string): Verdict => {
    const [hello, id, token, ...rest] = header.split(' ');
    if (hello !== GUARD_HELLO || !id || !token || rest.length > 0)
      return denied('the hook spoke a language this node does not (compile the session again)');
    let policy: GuardPolicy | null;
    try {
      policy = o.policyFor(id, token);
    } catch (e) {
      return denied(`the node cannot read the policy of session ${id}: ${(e as Error).message}`);
    }
    if (!policy) return denied(`the node has no session ${id} with this token`);
    let input: HookInput;
    try {
      input = JSON.parse(body) as HookInput;
    } catch {
      return denied('the tool call could not be read (malformed hook input)');
    }
    if (typeof input !== 'object' || input === null) return denied('the tool call could not be read');
    try {
      return decide(input, policy, o.home);
    } catch (e) {
      return denied(`the guard failed (${(e as Error).message}); failing closed`);
    }
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
      if (size > max) return reply(denied(`the tool call is larger than the guard reads (${max} bytes)`));
      parts.push(d);
    });
    c.on('end', () => {
      if (done) return;
      const all = Buffer.concat(parts);
      const nl = all.indexOf(10);
      if (nl < 0 || nl > HEADER_MAX) return reply(denied('the hook sent no header'));
      reply(judge(all.subarray(0, nl).toString('utf8'), all.subarray(nl + 1).toString('utf8')));
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
