/** What is in focus now, worked out from the fleet and the UI state: what every binding's precondition sees. */
import type { FleetState, SessionSummary, WorkerSummary } from '../../cockpit/types.js';
import { baseLayer, outputLayer, topLayer, workersLayer } from '../layers.js';
import { decisionFor, findSession, findWorker, focusedWorker, visibleNodes, visibleSessions } from '../select.js';
import type { UiState } from '../ui-state.js';
import type { KeyContext } from './binding.js';

export function keyContext(fleet: FleetState, ui: UiState): KeyContext {
  const top = topLayer(ui.stack);
  const base = baseLayer(ui.stack);
  let node: string | null;
  let session: SessionSummary | null = null;
  if (base.kind === 'fleet') {
    const nodes = visibleNodes(fleet, ui.filter);
    node = ui.nodeCursor && nodes.includes(ui.nodeCursor) ? ui.nodeCursor : (nodes[0] ?? null);
  } else if (base.kind === 'node') {
    node = base.node;
    const list = visibleSessions(fleet, node, ui.filter);
    const id = ui.sessionCursor[node];
    session = list.find((s) => s.id === id) ?? list[0] ?? null;
  } else {
    node = base.node;
    session = findSession(fleet, base.node, base.session);
  }
  // a workers list or a worker's output over the view: its session and worker are in focus
  let worker: WorkerSummary | null = null;
  const output = outputLayer(ui.stack);
  const list = workersLayer(ui.stack);
  if (output) {
    worker = findWorker(fleet, output.node, output.worker);
    if (worker) session = findSession(fleet, worker.node, worker.session) ?? session;
  } else if (list) {
    session = findSession(fleet, list.node, list.session) ?? session;
    worker = focusedWorker(fleet, ui.workerCursor, list.node, list.session);
  }
  const decision =
    node === null
      ? null
      : session
        ? decisionFor(fleet, node, session.id)
        : base.kind === 'fleet'
          ? decisionFor(fleet, node)
          : null;
  return {
    fleet,
    ui,
    top,
    node,
    link: node === null ? null : (fleet.nodes.get(node)?.link ?? null),
    session,
    decision,
    worker,
  };
}
