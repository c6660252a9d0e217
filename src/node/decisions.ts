/** Open questions to the operator, and the answers that are waiting for them. */
import type { Amount, Decision } from '../protocol/messages.js';
import { newId } from './ids.js';

/** An answer: who gave it (`operator`, `slack:<user>`, `policy:<rule>`, `node`), and for a budget, how much more. */
export type Answer = { approve: boolean; reason: string | null; by: string; amount?: Amount };

/** A question asked of the operator by a module wired to the session table, and its answer when it comes. */
export interface Asked {
  decision: Decision;
  answer: Promise<Answer>;
}

export class Decisions {
  readonly all = new Map<string, Decision>();
  private readonly waiting = new Map<string, (a: Answer) => void>();

  constructor(
    initial: Decision[],
    private readonly changed: (d: Decision) => void,
  ) {
    for (const d of initial) this.all.set(d.id, d);
  }

  open(fields: Omit<Decision, 'id' | 'state' | 'createdAt' | 'answeredAt' | 'reason' | 'by'>): Decision {
    const d: Decision = {
      ...fields,
      id: newId('d', (id) => this.all.has(id)),
      state: 'open',
      createdAt: new Date().toISOString(),
      answeredAt: null,
      reason: null,
      by: null,
    };
    this.all.set(d.id, d);
    this.changed(d);
    return d;
  }

  /** A module's question to the operator (the merge queue's about a worker branch, a budget's), and its answer. */
  ask(
    fields: Pick<Decision, 'node' | 'session' | 'tool' | 'summary' | 'input'>,
    source: 'merge' | 'budget' = 'merge',
  ): Asked {
    const decision = this.open({ ...fields, source });
    return { decision, answer: this.answer(decision.id) };
  }

  /** A module's questions still open (after a restart), each with its answer when it comes. */
  asked(source: 'merge' | 'budget' = 'merge'): Asked[] {
    return this.list()
      .filter((d) => d.source === source && d.state === 'open')
      .map((decision) => ({ decision, answer: this.answer(decision.id) }));
  }

  /** Resolves when the operator answers (or the decision is withdrawn: then with a denial). */
  answer(id: string): Promise<Answer> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  isWaited(id: string): boolean {
    return this.waiting.has(id);
  }

  forget(id: string): void {
    this.waiting.delete(id);
  }

  settle(id: string, approve: boolean, reason: string | null, by = 'operator', amount?: Amount): Decision {
    const d = this.all.get(id)!;
    const next: Decision = {
      ...d,
      state: approve ? 'approved' : 'denied',
      answeredAt: new Date().toISOString(),
      reason,
      by,
    };
    this.all.set(id, next);
    this.changed(next);
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    w?.({ approve, reason, by, ...(amount ? { amount } : {}) });
    return next;
  }

  /** The hook that asked has gone; the prompt on the screen is answered instead. */
  retarget(id: string, source: Decision['source']): void {
    const d = this.all.get(id);
    if (!d || d.source === source) return;
    const next: Decision = { ...d, source };
    this.all.set(id, next);
    this.changed(next);
  }

  withdraw(id: string, why: string): void {
    const d = this.all.get(id);
    if (!d || d.state !== 'open') return;
    const next: Decision = { ...d, state: 'withdrawn', answeredAt: new Date().toISOString(), reason: why, by: 'node' };
    this.all.set(id, next);
    this.changed(next);
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    w?.({ approve: false, reason: why, by: 'node' });
  }

  openFor(session: string): Decision[] {
    return [...this.all.values()].filter((d) => d.session === session && d.state === 'open');
  }

  list(): Decision[] {
    return [...this.all.values()];
  }
}
