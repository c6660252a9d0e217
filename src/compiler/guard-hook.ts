/**
 * How a session's PreToolUse hook reaches the guard. In a node's session, the node's resident evaluator
 * answers it (node/guard-server.ts): a shell and socat carry the call to the guard socket beside the
 * node's socket, which saves the Node start of the standalone guard (tens of milliseconds) on every call.
 * This module is the one home of that exchange, for the client it compiles and the server that answers.
 *
 * The exchange: the client sends `G1 <session> <token>\n`, then the hook input, then ends its half of
 * the connection. The node answers with one verdict and closes:
 * - `allow`: the call goes on to Claude Code's own permission rules (exit 0);
 * - `deny <message>`: the call is blocked, and the message reaches Claude as the reason (exit 2);
 * - `ask <hook output>`: the PreToolUse output that puts the call to the operator (exit 0, printed).
 * Anything else, no answer, or no node blocks the call: the client fails closed.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { compileRule } from '../guard/globs.js';
import { shQuote as q } from './settings.js';

export const GUARD_HELLO = 'G1';
/** The header of the turn gate's exchange (turnGateCommand) on the same socket. */
export const GATE_HELLO = 'B1';
export const GUARD_SOCKET_NAME = 'guard.sock';

/** The guard's socket, beside the node's socket (in the node's private run folder). */
export function guardSocketOf(nodeSocket: string): string {
  return join(dirname(nodeSocket), GUARD_SOCKET_NAME);
}

/** The start of the only `ask` answer the client passes on. */
export const ASK_PREFIX = 'ask {"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"ask",';

/** The PreToolUse output that escalates a call to the operator, as the client prints it. */
export function askOutput(reason: string): string {
  return JSON.stringify({
    hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'ask', permissionDecisionReason: reason },
  });
}

/** What may stand in a session id or token: they are written into a shell command unquoted. */
const WORD = /^[A-Za-z0-9_.-]{1,200}$/;

/**
 * Seconds socat waits for the node. It must give up well before Claude Code's own hook timeout (30 s): a
 * hook that Claude Code times out does not block the call.
 */
export const CLIENT_WAIT_S = 20;

/** The client's command line: sh and socat, nothing else started. */
export function residentGuardCommand(socat: string, session: { socket: string; id: string; token: string }): string {
  if (!WORD.test(session.id) || !WORD.test(session.token))
    throw new Error(`a session id or token with characters a hook command cannot carry: ${JSON.stringify(session.id)}`);
  const sock = guardSocketOf(session.socket);
  const unreachable =
    `agency guard: the node did not answer at ${sock} (is it running? agency node status); ` + 'the call is blocked';
  return (
    `r=$({ printf '%s\\n' ${q(`${GUARD_HELLO} ${session.id} ${session.token}`)}; cat; } | ` +
    `${q(socat)} -t ${CLIENT_WAIT_S} -T ${CLIENT_WAIT_S} - UNIX-CONNECT:${q(sock)} 2>/dev/null); ` +
    `case $r in allow) exit 0;; ${q(ASK_PREFIX)}*) printf '%s\\n' "\${r#ask }"; exit 0;; ` +
    `'deny '*) printf '%s\\n' "\${r#deny }" >&2; exit 2;; esac; ` +
    `printf '%s\\n' ${q(unreachable)} >&2; exit 2`
  );
}

/**
 * The turn gate's command line, for PostToolBatch: Claude Code runs it once the tool calls of a response have
 * all been answered, before it asks the API for the next turn. It sends `B1 <session> <token>\n` and the hook
 * input, and waits until the node answers: by then the node has read that response's spend, and paused the
 * session if it spent a budget (node/turn-gate.ts). It never blocks or tells Claude anything: whatever the
 * node answers, or if there is no node, it exits 0.
 */
export function turnGateCommand(socat: string, session: { socket: string; id: string; token: string }): string {
  if (!WORD.test(session.id) || !WORD.test(session.token))
    throw new Error(`a session id or token with characters a hook command cannot carry: ${JSON.stringify(session.id)}`);
  return (
    `{ printf '%s\\n' ${q(`${GATE_HELLO} ${session.id} ${session.token}`)}; cat; } | ` +
    `${q(socat)} -t ${CLIENT_WAIT_S} -T ${CLIENT_WAIT_S} - UNIX-CONNECT:${q(guardSocketOf(session.socket))} ` +
    `>/dev/null 2>&1; exit 0`
  );
}

/** socat's absolute path, as found on PATH when the worktree is compiled, or null. */
export function findSocat(path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const p = join(dir, 'socat');
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The tools whose calls the guard judges (guard/decide.ts): only these start the guard. Every other tool
 * it lets through, unless a policy rule names it; those are added by guardMatcher.
 */
export const GUARDED_TOOLS = [
  'Bash',
  'Read',
  'NotebookRead',
  'Grep',
  'Glob',
  'LS',
  'Write',
  'Edit',
  'MultiEdit',
  'NotebookEdit',
  'WebFetch',
] as const;

/** What Claude Code takes as a list of exact tool names rather than a regular expression. */
const EXACT = /^[A-Za-z0-9_-]+$/;

/**
 * The PreToolUse matcher of the guard's hook: the guarded tools and every tool a policy rule names
 * (`Agent` also as `Task`), as Claude Code's list of exact names; everything (`*`) if a rule names tools
 * by pattern, or by a name the list cannot hold.
 */
export function guardMatcher(policyRules: readonly string[]): string {
  const tools = new Set<string>(GUARDED_TOOLS);
  for (const r of policyRules) {
    const c = compileRule(r);
    if (c.toolIsPattern || !EXACT.test(c.tool)) return '*';
    tools.add(c.tool);
    if (c.tool === 'Agent') tools.add('Task');
  }
  return [...tools].join('|');
}
