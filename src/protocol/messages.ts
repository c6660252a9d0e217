/** The messages of agency's protocol, and the shapes of state that `--json` output and scripts rely on. */
import type { Op, OpArgs } from './ops.js';
import type {
  MergeWorkersResult,
  SpawnResult,
  WaitResult,
  WorkerOutput,
  WorkersResult,
  WorkerStatusResult,
  WorkerStopResult,
  WorkerSummary,
} from './workers.js';

export * from './workers.js';
export * from './org.js';
export * from './economics.js';
export * from './landing.js';
import type { NodeOrg } from './org.js';
import type {
  DiffResult,
  GcResult,
  Landing,
  LogResult,
  MergeResult,
  MirrorResult,
  PrResult,
  RemoveResult,
  SessionBase,
} from './landing.js';
import type {
  AuditEntry,
  AuditVerify,
  BudgetNotice,
  CostResult,
  HeldFor,
  NodeSpend,
  SessionBudget,
} from './economics.js';

/** Bump when a cockpit and a node could misunderstand each other; they then refuse to talk. */
export const PROTOCOL_VERSION = 1;

/** `queued`: made (its worktree and context ready) but waiting under a rate limit to start; it starts oldest first. */
export type SessionState = 'queued' | 'starting' | 'working' | 'needs-input' | 'idle' | 'paused' | 'exited' | 'failed';
/** Every state, in the order views list them. */
export const SESSION_STATES: readonly SessionState[] = [
  'queued',
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

/** Usage before anything was spent: a new session's, a new worker's. */
export function noUsage(): Usage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    costUsd: 0,
    unpricedModels: [],
  };
}

/** A session ended with work on its branch that its base branch has not taken: the cockpit's "ready to land". */
export function readyToLand(s: Pick<SessionSummary, 'state' | 'landing'>): boolean {
  return !isLive(s.state) && s.landing !== null && s.landing.ahead > 0 && !s.landing.merged;
}

export interface SessionSummary {
  id: string;
  node: string;
  state: SessionState;
  task: string;
  discipline: string;
  /** the repository on the node the worktree was made from (for a URL, the node's mirror of it) */
  repo: string;
  /** the repository as the operator named it when it was a URL (credentials removed), else null */
  origin: string | null;
  base: SessionBase | null;
  landing: Landing | null;
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
  /** its budget (run --budget, its discipline's, or the config's) and what it spent of it; null: none */
  budget?: SessionBudget | null;
  /** why it is paused or not yet started (state paused or queued), else null */
  held?: HeldFor | null;
  openDecisions: number;
  /** the VP the session works for (triaged to it, or its discipline's VP on this node), else null */
  vp?: string | null;
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
  /**
   * where the request came from: Claude Code's PermissionRequest hook, a prompt seen on the screen, or the
   * merge queue (a worker's branch that conflicts even after a resolver tried: approve takes the worker's
   * side of each conflict, deny keeps the branch unmerged under refs/agency/recovered/)
   */
  source: 'hook' | 'screen' | 'merge' | 'budget';
  state: DecisionState;
  /** who answered it: `operator`, `slack:<user id>`, `policy:<rule>`, or `node` (withdrawn); null while open */
  by?: string | null;
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
  /** how the node's sessions reach the API: a key in its environment, a Claude Code login, or neither */
  auth?: { key: boolean; login: boolean };
  /** the organisation the node was given (`agency org apply`) and the VPs it carries; absent: none */
  org?: NodeOrg;
  /** the SHA-256 of the settings the operator's config last gave it (`settings-apply`); absent: none */
  settings?: string;
  /** the API rate-limited the node (429): no new session or worker starts before `until` */
  rateLimited?: { until: string; reason: string } | null;
  /** what the daemon runs on: Node's version, whether agency brought that Node (`agency push`), the C library */
  runtime?: NodeRuntime;
  /** the user service that keeps the daemon (`push --service`): which, and whether this daemon runs under it */
  service?: NodeService;
}

export interface NodeRuntime {
  /** process.versions.node */
  node: string;
  /** the Node agency installed on the node (kept by hash under ~/.agency/runtime), not the node's own */
  bundled: boolean;
  /** `glibc 2.36`, `musl`, or the macOS version (`macOS 14.5`); absent when unknown */
  libc?: string;
}

export interface NodeService {
  kind: 'systemd' | 'launchd';
  /** the unit or plist is on the node */
  installed: boolean;
  /** this daemon was started by it (and is restarted by it) */
  running: boolean;
}

export interface Snapshot {
  node: NodeInfo;
  sessions: SessionSummary[];
  decisions: Decision[];
  /** the node's workers: every live one, and the most recent that ended (bounded) */
  workers: WorkerSummary[];
  /** what the node spent today and in the last hours */
  spend?: NodeSpend;
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
  'run-split': { sessions: SessionSummary[] };
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
  diff: DiffResult;
  log: LogResult;
  merge: MergeResult;
  pr: PrResult;
  rm: RemoveResult;
  gc: GcResult;
  mirror: MirrorResult;
  workers: WorkersResult;
  'worker-output': WorkerOutput;
  'worker-stop': WorkerStopResult;
  'spawn-workers': SpawnResult;
  'wait-workers': WaitResult;
  'worker-status': WorkerStatusResult;
  'merge-workers': MergeWorkersResult;
  'org-apply': NodeOrg;
  'settings-apply': { settings: string };
  'budget-sync': Record<string, never>;
  cost: CostResult;
  audit: { entries: AuditEntry[]; more: boolean };
  'audit-verify': AuditVerify;
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
  | { kind: 'worker'; worker: WorkerSummary }
  /** a session was removed (agency rm, gc): it leaves the node's table */
  | { kind: 'removed'; node: string; session: string }
  /** a PTY subscriber fell further behind than the replay buffer reaches: repaint from this screen, then bytes resume at view.outputSeq */
  | { kind: 'pty-reset'; view: ScreenView }
  /** the node's info changed (it was given an organisation): the whole of it, as the hello carried it */
  | { kind: 'node-info'; info: NodeInfo }
  /** the node's spend changed (at most once a second) */
  | { kind: 'spend'; node: string; spend: NodeSpend }
  /** a budget was passed, ran out, was extended, or refused a start */
  | { kind: 'budget'; node: string; notice: BudgetNotice };
export interface EventMessage {
  t: 'event';
  event: NodeEvent;
}

export type Message = Hello | Request | Response | EventMessage;
