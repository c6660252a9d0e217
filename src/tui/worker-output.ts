/**
 * Keeps the worker output on screen up to date: asks the worker's node for its output when the view opens,
 * when a report of the worker arrives, and on a timer while it runs (the view says when). At most one
 * request is on its way at a time, and one more is asked for after it when something asked meanwhile;
 * an answer for a view that has been closed is dropped.
 */
import type { CockpitPort } from '../cockpit/types.js';
import { outputLayer, type Layer, type OutputLayer } from './layers.js';
import { outputLines } from './output-lines.js';

export interface OutputHost {
  port: CockpitPort;
  stack(): readonly Layer[];
  setStack(stack: readonly Layer[]): void;
}

const message = (e: unknown) => (e as Error)?.message ?? String(e);

export class OutputFollower {
  private busy = false;
  private again = false;

  constructor(private readonly host: OutputHost) {}

  /** Asks for the output of the worker whose view is open, if one is. */
  refresh(): void {
    const open = outputLayer(this.host.stack());
    if (!open) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    const { node, worker } = open;
    this.host.port
      .request(node, 'worker-output', { worker })
      .then(
        (o) => {
          try {
            this.update(node, worker, { lines: outputLines(o), error: null });
          } catch {
            this.update(node, worker, { error: `node ${node} answered with something that is not a worker's output` });
          }
        },
        (e: unknown) => this.update(node, worker, { error: message(e) }),
      )
      .finally(() => {
        this.busy = false;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  /** Puts what the node answered into that worker's view, wherever it is in the stack; not into another's. */
  private update(node: string, worker: string, patch: Partial<Pick<OutputLayer, 'lines' | 'error'>>): void {
    const stack = this.host.stack();
    const at = stack.findIndex((l) => l.kind === 'output' && l.node === node && l.worker === worker);
    if (at < 0) return;
    const next = [...stack];
    next[at] = { ...(stack[at] as OutputLayer), ...patch };
    this.host.setStack(next);
  }
}
