/**
 * The parts the node keeps for each session beside its record: its claude (while one runs), its output log,
 * the watch on its transcripts, the prompts on its screen that the operator answers, and the API's refusals.
 */
import { warnOperator } from './warnings.js';
import { join } from 'node:path';
import type { NodeInfo } from '../protocol/messages.js';
import type { Session } from '../session/session.js';
import type { NodePaths } from '../paths/node-home.js';
import { ApiRefusals } from './api-refusals.js';
import type { Decisions } from './decisions.js';
import { sessionDir } from './ids.js';
import { OutputLog } from './output-log.js';
import { ScreenAnswers } from './screen-answers.js';
import type { SessionRecord } from './state-file.js';
import { UsageWatch, type TurnSink } from './usage-watch.js';

export interface Runtime {
  record: SessionRecord;
  session: Session | null;
  log: OutputLog;
  usage: UsageWatch;
  /** the prompts on its screen that the operator answers */
  dialogs: ScreenAnswers;
  /** the API refusing it, as its hook, transcript or screen tells */
  refusals: ApiRefusals;
}

export interface RuntimeNode {
  paths: NodePaths;
  info: NodeInfo;
  env: NodeJS.ProcessEnv;
  decisions: Decisions;
  /** bytes of output kept per session for replay */
  replayBytes?: number;
  /** where each session's turns are recorded (the node's ledger) */
  turns?: TurnSink;
  /** the API rate-limited the session (429): new starts on the node wait (null: no retry time known) */
  rateLimited?: (retryMs: number | null) => void;
}

/** The node's node.env, where its key goes. */
export const nodeEnvFile = (paths: NodePaths) => join(paths.home, 'node.env');

/** A session's runtime, with no claude yet; `changed` records what its transcripts add to its record. */
export function newRuntime(
  node: RuntimeNode,
  record: SessionRecord,
  changed: (rt: Runtime, patch: Partial<SessionRecord>) => void,
): Runtime {
  const log = OutputLog.open(sessionDir(node.paths.sessions, record.id), node.replayBytes ?? 1024 * 1024);
  record.outputSeq = log.buffer.end;
  const where = { info: node.info, nodeEnvFile: nodeEnvFile(node.paths) };
  const refusals = new ApiRefusals(where, record, () => rt.session, node.rateLimited);
  const usage = new UsageWatch(
    record,
    node.env,
    (u) => changed(rt, { usage: u }),
    (t) => refusals.seen(t),
    node.turns ?? null,
    (text) => warnOperator(node.info, text),
  );
  const dialogs = new ScreenAnswers({
    node: node.info.name,
    session: record.id,
    screen: () => rt.session,
    decisions: node.decisions,
  });
  const rt: Runtime = { record, session: null, log, usage, dialogs, refusals };
  return rt;
}
