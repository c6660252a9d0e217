/** The shapes a view of the cockpit works with, in one place, so that views need not reach past the cockpit. */
export type { LinkState, LinkStatus } from '../fleet/link.js';
export type {
  Decision,
  DiffFile,
  DiffResult,
  Landing,
  MergeResult,
  NodeInfo,
  Op,
  OpArgs,
  OpResults,
  RemoveResult,
  ScreenView,
  SessionState,
  SessionSummary,
  Usage,
  WorkerModel,
  WorkerOutput,
  WorkerRole,
  WorkerStopResult,
  WorkersResult,
} from '../protocol/messages.js';
export {
  DIFF_STATUS_LETTER,
  ENDED_STATES,
  LIVE_STATES,
  SESSION_STATES,
  ENDED_WORKER_STATES,
  WORKER_MODELS,
  isLive,
  isWorkerLive,
  readyToLand,
} from '../protocol/messages.js';
export { leastLoaded } from './placement.js';
export { placeTask, vpNodes } from './triage.js';
export type { Placement, TaskFit, TaskTriage, TriageNode, TriageOrg, TriageVp } from './triage.js';
export type { PtyStream } from './pty-subscription.js';
export type { CockpitEvent, FleetSnapshot, SessionWorkersResult } from './client.js';
export type { CockpitPort } from './port.js';
export type { FleetState, StoreEvent, StoreOptions } from './store.js';
export type { CountBy, FleetHealth, NodeSummary, RecentActivity, WorkerState, WorkerSummary } from './summary.js';
export { WORKER_STATES, usageTokens } from './summary.js';
export type { SessionWorkers, WorkerCounts } from './workers.js';
export {
  STATES_SHOWN,
  allWorkers,
  countWorkers,
  liveOfModel,
  liveModelsText,
  liveWorkers,
  statesText,
  sumWorkerCounts,
  workerDoing,
  workerOrder,
} from './workers.js';
