/**
 * The keys of a session's workers: into its workers list, a worker's output (its lines, then its result),
 * and stopping a worker or its whole run (every worker of the same fan-out that has not ended). Stopping
 * asks first, and the message line says what the node did.
 */
import { isWorkerLive, type WorkerSummary } from '../../cockpit/types.js';
import { topLayer, type OutputLayer } from '../layers.js';
import { focusedSession, liveWorker, reachableWorker, refine, workerInFocus, type WorkerContext } from './when.js';
import { bind, type Actions, type KeyContext } from './binding.js';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Scrolls the worker output on top by `by` lines; at its end it follows what comes, as `tail -f` does. */
export function scrollOutput(a: Actions, by: number): void {
  const top = topLayer(a.ui().stack);
  if (top.kind !== 'output' || !top.lines) return;
  const max = Math.max(0, top.lines.length - a.outputRows());
  const first = top.follow ? max : Math.min(top.scroll, max);
  const scroll = Math.max(0, Math.min(max, first + by));
  const follow = scroll === max;
  if (scroll !== top.scroll || follow !== top.follow) a.replaceTop({ ...top, scroll, follow });
}

function openOutput(a: Actions, { worker: w }: WorkerContext): void {
  const layer: OutputLayer = {
    kind: 'output',
    node: w.node,
    worker: w.id,
    lines: null,
    error: null,
    scroll: 0,
    follow: true,
  };
  a.push(layer);
}

/** The workers of a worker's run that have not ended, as the cockpit knows them. */
function liveOfRun(c: KeyContext, w: WorkerSummary): WorkerSummary[] {
  return (c.fleet.workers.get(w.node) ?? []).filter((x) => x.run === w.run && isWorkerLive(x));
}

/** A worker in focus, on a reachable node, whose run has workers not ended. */
function runToStop(c: KeyContext): string | WorkerContext {
  return refine(reachableWorker(c), (w) =>
    liveOfRun(w, w.worker).length === 0 ? `every worker of run ${w.worker.run} has ended` : null,
  );
}

function stopWorker(a: Actions, { node, worker: w }: WorkerContext): void {
  const doing = w.state === 'running' ? `running on ${w.model}` : `queued for the ${w.model} wave`;
  a.confirm(
    `Stop worker ${w.name} (${w.id}) of ${w.session} on ${node}? It is ${doing}; a stopped worker is not started again.`,
    () =>
      a.report(
        a.port.request(node, 'worker-stop', { worker: w.id }),
        (r) =>
          r.stopped.includes(w.id) ? `stopped worker ${w.name}` : `worker ${w.name} had ended already: nothing to stop`,
        `stopping worker ${w.name} failed`,
      ),
  );
}

function stopRun(a: Actions, c: WorkerContext): void {
  const { node, worker: w } = c;
  const live = liveOfRun(c, w);
  const running = live.filter((x) => x.state === 'running').length;
  a.confirm(
    `Stop run ${w.run} of ${w.session} on ${node}: its ${plural(live.length, 'worker')} not ended (${running} running, ${live.length - running} queued)? Stopped workers are not started again.`,
    () =>
      a.report(
        a.port.request(node, 'worker-stop', { run: w.run }),
        (r) => `stopped ${plural(r.stopped.length, 'worker')} of run ${w.run}`,
        `stopping run ${w.run} failed`,
      ),
  );
}

export const WORKER_BINDINGS = [
  bind({
    id: 'workers',
    keys: ['w'],
    description: "the session's workers: ↑↓ choose one, Enter shows its output, Esc goes back",
    layers: ['node', 'session'],
    hint: 'workers',
    when: focusedSession,
    run: (a, { node, session: s }) => a.push({ kind: 'workers', node, session: s.id }),
  }),
  bind({
    id: 'worker-output',
    keys: ['enter'],
    description: "show the worker's output: its lines, then its result (kept up to date while shown)",
    layers: ['workers'],
    hint: 'output',
    when: workerInFocus,
    run: openOutput,
  }),
  bind({
    id: 'stop-worker',
    keys: ['s'],
    description: 'stop the worker (asks first)',
    layers: ['workers', 'output'],
    hint: 'stop',
    when: liveWorker,
    run: stopWorker,
  }),
  bind({
    id: 'stop-run',
    keys: ['S'],
    description: "stop the worker's whole run: every worker of its fan-out not ended (asks first)",
    layers: ['workers', 'output'],
    hint: 'stop run',
    when: runToStop,
    run: stopRun,
  }),
];
