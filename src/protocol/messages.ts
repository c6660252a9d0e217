/** The messages of agency's protocol, and the shapes of state that `--json` output and scripts rely on. */
import type { Op, OpArgs } from './ops.js';

/** Bump when a cockpit and a node could misunderstand each other; they then refuse to talk. */
export const PROTOCOL_VERSION = 1;

export type SessionState = 'starting' | 'working' | 'needs-input' | 'idle' | 'paused' | 'exited' | 'failed';
/** Every state, in the order views list them. */
export const SESSION_STATES: readonly SessionState[] = [
  'starting',
  'working',
  'needs-input',
  'idle',
  'paused',
  'exited',
  'failed',
];
/** A session in one of these has ended: its process is gone and it will not run again. */
export const ENDED_STATES: readonly SessionState[] = ['exited', 'failed'];
/** Every state that is not ended. */
export const LIVE_STATES: readonly SessionState[] = SESSION_STATES.filter((s) => !ENDED_STATES.includes(s));

/** Whether a session (or a state) is live: not exited or failed. The one place that rule is written. */
export function isLive(s: SessionState | { state: SessionState }): boolean {
  return !ENDED_STATES.includes(typeof s === 'string' ? s : s.state);
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  costUsd: number;
  /** models whose price agency does not know: their tokens are counted, their cost is not */
  unpricedModels: string[];
}

export interface SessionSummary {
  id: string;
  node: string;
  state: SessionState;
  task: string;
  discipline: string;
  repo: string;
  worktree: string;
  branch: string;
  model: string | null;
  /** Claude Code's own session id: `claude --resume <id>` */
  claudeSession: string;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  /** why the session failed or what it is waiting for, one line */
  reason: string | null;
  /** what it is doing now, one line of plain text */
  activity: string;
  usage: Usage;
  openDecisions: number;
  /** bytes of terminal output so far: the next output starts at this sequence number */
  outputSeq: number;
}

export type DecisionState = 'open' | 'approved' | 'denied' | 'withdrawn';
export interface Decision {
  id: string;
  node: string;
  session: string;
  tool: string;
  /** the command, file or URL in question, one line */
  summary: string;
  input: unknown;
  /** where the request came from: Claude Code's PermissionRequest hook, or a prompt seen on the screen */
  source: 'hook' | 'screen';
  state: DecisionState;
  createdAt: string;
  answeredAt: string | null;
  reason: string | null;
}

export interface NodeInfo {
  name: string;
  agentVersion: string;
  /** the pushed agent's hash, or `dev` for a checkout */
  build: string;
  protocol: number;
  host: string;
  platform: string;
  pid: number;
  startedAt: string;
  /** whether sessions run in the OS sandbox: `off` only where the operator opted the node out; `unavailable` refuses sessions */
  sandbox?: { mode: 'on' | 'off' | 'unavailable'; reason?: string };
  /** what the node wants the operator to know (records it set aside, for one) */
  warnings?: string[];
}

export interface Snapshot {
  node: NodeInfo;
  sessions: SessionSummary[];
  decisions: Decision[];
}

export interface ScreenView {
  session: string;
  cols: number;
  rows: number;
  lines: string[];
  outputSeq: number;
}

export interface Hello {
  t: 'hello';
  protocol: number;
  agent: string;
  /**
   * who the peer is. `cockpit`: the operator's. `hook`: a session's own program, which names its session
   * and carries the token the node wrote into that session's hook command; it may only report for it.
   */
  role: 'cockpit' | 'hook' | 'node';
  node?: NodeInfo;
  /** a hook connection's session */
  session?: string;
  /** a hook connection's token: the node's proof that the session is its own (see node/session-tokens.ts) */
  token?: string;
}

/** Operations a client may ask a node for; their args are checked against the schemas in ops.ts. */
export type { Op, OpArgs } from './ops.js';
export interface OpResults {
  status: Snapshot;
  run: SessionSummary;
  send: SessionSummary;
  pause: SessionSummary;
  resume: SessionSummary;
  stop: SessionSummary;
  interrupt: SessionSummary;
  resize: SessionSummary;
  decide: Decision;
  screen: ScreenView;
  watch: Snapshot;
  'pty-subscribe': { fromSeq: number; snapshot: ScreenView | null };
  'pty-unsubscribe': Record<string, never>;
  hook: unknown;
  shutdown: Record<string, never>;
}

export interface Request<O extends Op = Op> {
  t: 'req';
  id: number;
  op: O;
  args: OpArgs[O];
}
export type Response =
  | { t: 'res'; id: number; ok: true; result: unknown }
  | { t: 'res'; id: number; ok: false; error: { code: ErrorCode; message: string } };
/**
 * `forbidden`: the connection's role may not ask for that op (a hook asking to run or stop a session), or
 * its token does not hold for the session it names.
 */
export type ErrorCode = 'not-found' | 'bad-request' | 'forbidden' | 'conflict' | 'failed' | 'version';

export type NodeEvent =
  | { kind: 'session'; session: SessionSummary }
  | { kind: 'decision'; decision: Decision }
  /** a PTY subscriber fell further behind than the replay buffer reaches: repaint from this screen, then bytes resume at view.outputSeq */
  | { kind: 'pty-reset'; view: ScreenView };
export interface EventMessage {
  t: 'event';
  event: NodeEvent;
}

export type Message = Hello | Request | Response | EventMessage;
