/** Open questions to the operator, and the answers that are waiting for them. */
import type { Decision } from '../protocol/messages.js';
import { newId } from './ids.js';

export type Answer = { approve: boolean; reason: string | null };

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

  open(fields: Omit<Decision, 'id' | 'state' | 'createdAt' | 'answeredAt' | 'reason'>): Decision {
    const d: Decision = {
      ...fields,
      id: newId('d', (id) => this.all.has(id)),
      state: 'open',
      createdAt: new Date().toISOString(),
      answeredAt: null,
      reason: null,
    };
    this.all.set(d.id, d);
    this.changed(d);
    return d;
  }

  /** The merge queue's question to the operator (about a session's worker branch), and its answer. */
  ask(fields: Pick<Decision, 'node' | 'session' | 'tool' | 'summary' | 'input'>): Asked {
    const decision = this.open({ ...fields, source: 'merge' });
    return { decision, answer: this.answer(decision.id) };
  }

  /** The merge queue's questions still open (after a restart), each with its answer when it comes. */
  asked(): Asked[] {
    return this.list()
      .filter((d) => d.source === 'merge' && d.state === 'open')
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

  settle(id: string, approve: boolean, reason: string | null): Decision {
    const d = this.all.get(id)!;
    const next: Decision = {
      ...d,
      state: approve ? 'approved' : 'denied',
      answeredAt: new Date().toISOString(),
      reason,
    };
    this.all.set(id, next);
    this.changed(next);
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    w?.({ approve, reason });
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
    const next: Decision = { ...d, state: 'withdrawn', answeredAt: new Date().toISOString(), reason: why };
    this.all.set(id, next);
    this.changed(next);
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    w?.({ approve: false, reason: why });
  }

  openFor(session: string): Decision[] {
    return [...this.all.values()].filter((d) => d.session === session && d.state === 'open');
  }

  list(): Decision[] {
    return [...this.all.values()];
  }
}
