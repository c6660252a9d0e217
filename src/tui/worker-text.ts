/**
 * How the cockpit writes workers in little room: a tile's line of them by state and model, at as much detail
 * as its width holds, and the colour of a worker's state.
 */
import {
  STATES_SHOWN,
  WORKER_MODELS,
  allWorkers,
  liveOfModel,
  type CountBy,
  type WorkerModel,
  type WorkerState,
} from '../cockpit/types.js';
import { stringWidth } from '../terminal/index.js';
import type { Colour, Theme } from './theme.js';

export interface Counted {
  states: CountBy<WorkerState>;
  models: Readonly<Record<WorkerModel, CountBy<WorkerState>>>;
}

/** A worker's state in the colour of the session state nearest to it. */
export function workerColour(theme: Theme, state: WorkerState): Colour {
  switch (state) {
    case 'queued':
      return theme.states.starting;
    case 'running':
      return theme.states.working;
    case 'failed':
      return theme.states.failed;
    case 'stopped':
      return theme.states.paused;
    default:
      return theme.states.exited;
  }
}

const SHORT: Record<WorkerState, string> = {
  queued: 'queued',
  running: 'run',
  done: 'done',
  failed: 'failed',
  stopped: 'stopped',
};

/**
 * The workers of a node (or a session) in at most `room` columns: by state, then those not ended by
 * model (h, s, o: haiku, sonnet, opus, where room is short); each level says less
 * (`workers 4 running · 6 queued · 12 done │ haiku 8 · sonnet 2`, …, `w 4/10 ✗1`). '' when it has none.
 */
export function workersLine(c: Counted, room: number): string {
  if (allWorkers(c) === 0) return '';
  const s = c.states;
  const live = s.running + s.queued;
  const states = (sep: string, word: (x: WorkerState) => string, only?: readonly WorkerState[]) =>
    STATES_SHOWN.filter((x) => s[x] > 0 && (!only || only.includes(x)))
      .map((x) => word(x))
      .join(sep);
  const models = (sep: string, name: (m: WorkerModel) => string) =>
    WORKER_MODELS.filter((m) => liveOfModel(c, m) > 0)
      .map((m) => `${name(m)}${liveOfModel(c, m)}`)
      .join(sep);
  const join = (...parts: string[]) => parts.filter(Boolean).join(' ');
  const full = models(' · ', (m) => `${m} `);
  const short = models(' ', (m) => `${m} `);
  const initials = models(' ', (m) => m[0]!);
  const failed = s.failed ? `✗${s.failed}` : '';
  const levels = [
    `workers ${states(' · ', (x) => `${s[x]} ${x}`)}${full ? ` │ ${full}` : ''}`,
    join(
      'workers',
      states(' ', (x) => `${s[x]} ${SHORT[x]}`, ['running', 'queued', 'failed']),
      short && `· ${short}`,
    ),
    join(
      'workers',
      states(' ', (x) => `${s[x]} ${SHORT[x]}`, ['running', 'queued']),
      failed,
      initials,
    ),
    join('w', `${s.running}/${live}`, failed, initials),
    join('w', `${s.running}/${live}`, failed),
  ];
  return levels.find((l) => stringWidth(l) <= room) ?? '';
}
