/**
 * The node's budgets, enforced: at each turn the ledger records (a session's or one of its workers'), the
 * session's budget, its VP's of the day and the fleet's of the day are read (the daily ones with what the rest of
 * the fleet spent, as the operator's side last told the node). Past the warning mark the operator is told once;
 * at the limit the session (or every live session of the VP, or of the node) is paused, not killed, with its
 * workers, and one decision asks to extend the budget or stop. An approval grows the budget and resumes what the
 * stop paused, and nothing else; a denial stops those sessions. Starts are refused while a VP's or the fleet's
 * budget is spent (`check`), and a session's queued workers wait while a stop holds it.
 */
import { amountValue, type Amount, type BudgetNotice, type SessionBudget } from '../protocol/economics.js';
import { isLive, type SessionSummary } from '../protocol/messages.js';
import type { SessionRecord } from './state-file.js';
import { RemoteError } from '../protocol/connection.js';
import type { AuditSink } from '../audit/sink.js';
import {
  BudgetBook,
  keyName,
  presetsFor,
  sameUnit,
  sessionLimit,
  type BudgetKey,
  type Reading,
} from '../budget/budgets.js';
import type { SpendLedger } from '../budget/ledger.js';
import type { Answer, Asked } from './decisions.js';
import type { NodeManager } from './manager.js';
import type { NodeSettingsStore } from './settings-store.js';
import {
  approveHint,
  decisionSummary,
  deniedAudit,
  extendedAudit,
  loadBudgets,
  stoppedAudit,
  noticeAudit,
  noticeOf,
  pausedReason,
  refusalWay,
  saveBudgets,
  spentLine,
  stopInput,
  type Stop,
} from './budget-stops.js';
import type { SpendElsewhere } from '../protocol/economics.js';

export interface BudgetGuardOptions {
  node: string;
  home: string;
  manager: Pick<
    NodeManager,
    'snapshot' | 'has' | 'record' | 'hold' | 'stop' | 'decisions' | 'relay' | 'onEvent' | 'resumable' | 'flush'
  >;
  /** the node's workers: paused and let go with their session */
  workers: { hold(session: string, paused: boolean): void };
  ledger: SpendLedger;
  settings: Pick<NodeSettingsStore, 'current' | 'onChange'>;
  audit: AuditSink;
  warn: (text: string) => void;
}

const FLEET: BudgetKey = { scope: 'fleet', subject: 'fleet' };
/** how often daily budgets are looked at with no turn to prompt it (a new UTC day lets their stops go) */
const REVISIT_MS = 60_000;

export class BudgetGuard {
  private readonly book: BudgetBook;
  private stops: Stop[];
  /** the live sessions and their VPs, kept from the table's events (no snapshot per turn) */
  private readonly index = new Map<string, string | null>();
  private waiters: (() => void)[] = [];
  private day = '';

  constructor(private readonly o: BudgetGuardOptions) {
    const kept = loadBudgets(o.home, o.warn);
    this.book = new BudgetBook(kept.marks, kept.away);
    this.stops = kept.stops;
    this.book.settings(o.settings.current().budgets);
  }

  /** Starts enforcing: after the session table has brought its sessions back. */
  start(): void {
    const o = this.o;
    o.manager.resumable = (r) => this.resumable(r.id);
    for (const s of o.manager.snapshot().sessions) this.seen(s);
    // stops kept across a restart: their decisions wait again, and what they paused is paused again
    const open = new Map(o.manager.decisions.asked('budget').map((a) => [a.decision.id, a]));
    for (const stop of [...this.stops]) {
      const asked = open.get(stop.decision);
      if (stop.state === 'denied') continue;
      stop.paused = stop.paused.filter((id) => this.live(id));
      const r = this.book.read(stop.key, o.ledger);
      if (!asked) {
        // the node stopped before its decision was kept: asked again while the budget is still spent
        this.drop(stop);
        this.book.clearStop(stop.key);
        if (r && spent(r) && (stop.day === null || stop.day === r.day)) this.again(r, stop.paused);
        else this.release(stop);
        continue;
      }
      for (const id of stop.paused) this.pauseOne(id, r, stop.decision);
      this.await(stop, asked);
    }
    o.ledger.onTurn((t) => {
      let changed = this.assess({ scope: 'session', subject: t.session }, t.session);
      if (t.vp !== null) changed = this.assess({ scope: 'vp', subject: t.vp }, t.session) || changed;
      if (this.assess(FLEET, t.session) || changed) this.save();
    });
    o.manager.onEvent((e) => {
      if (e.kind === 'session') this.seen(e.session);
      if (e.kind === 'removed') this.book.dropSession(e.session);
    });
    o.settings.onChange((s) => {
      this.book.settings(s.budgets);
      this.revisit();
      this.wake();
    });
    setInterval(() => this.revisit(), REVISIT_MS).unref();
    this.save();
  }

  /** What the rest of the fleet spent today (budget-sync): added to the node's own for the daily budgets. */
  sync(e: SpendElsewhere): void {
    if (this.book.sync(e)) this.save();
    this.revisit();
  }

  /** Whether a session's queued workers wait: a stop of today covers it (its own budget's, its VP's, the fleet's). */
  holds(session: string): boolean {
    return this.stops.some((s) => this.current(s) && this.covers(s.key, session));
  }

  /** Settles when a budget stop ends or the figures change: a start the budgets refused may try again. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Whether any budget covers a session: its own, its VP's or the fleet's (its turns are gated: turn-gate.ts). */
  gated(session: string): boolean {
    if (this.book.hasSession(session)) return true;
    const vp = this.o.manager.has(session) ? this.o.manager.record(session).vp : null;
    const keys: BudgetKey[] = [...(vp ? [{ scope: 'vp' as const, subject: vp }] : []), FLEET];
    return keys.some((k) => this.book.read(k, this.o.ledger) !== null);
  }

  /** Refuses a start while its VP's or the fleet's daily budget is spent. */
  check(req: { vp: string | null }): void {
    for (const key of [...(req.vp !== null ? [{ scope: 'vp' as const, subject: req.vp }] : []), FLEET]) {
      const r = this.book.read(key, this.o.ledger);
      if (!r || !spent(r)) continue;
      this.notice(r, 'refused', null, null);
      throw new RemoteError('conflict', `not started: ${spentLine(r)}; ${this.way(r)}`);
    }
  }

  /** Throws when the operator may not resume a session: a stop still holds it and its budget is still spent. */
  private resumable(session: string): void {
    for (const stop of [...this.stops]) {
      if (stop.state !== 'open' || !this.current(stop) || !this.covers(stop.key, session)) continue;
      const r = this.book.read(stop.key, this.o.ledger);
      if (r && spent(r))
        throw new RemoteError(
          'conflict',
          `session ${session} is paused because ${spentLine(r)}: approve decision ${stop.decision} to extend it (${approveHint(stop.decision, this.presets(r)[0]!)}), or deny it to stop the session`,
        );
      // its budget was raised meanwhile: the stop is over
      this.o.manager.decisions.withdraw(stop.decision, 'the budget is no longer spent');
    }
  }

  /** What to do about a spent budget, for a refused start. */
  private way(r: Reading): string {
    const stop = this.stops.find((s) => keyName(s.key) === keyName(r) && (s.day === r.day || r.scope === 'session'));
    return refusalWay(r, stop, this.presets(r)[0]!);
  }

  /** A session the table tells of: counted with its own budget, or the config's for every session. */
  private seen(s: SessionSummary): void {
    if (!isLive(s)) {
      this.index.delete(s.id);
      for (const stop of this.stops) stop.paused = stop.paused.filter((id) => id !== s.id);
      // its mark goes with it, unless a stop of its own budget is still kept
      if (!this.stops.some((st) => st.key.scope === 'session' && st.key.subject === s.id)) this.book.dropSession(s.id);
      return;
    }
    this.index.set(s.id, s.vp ?? null);
    if (this.book.hasSession(s.id)) return;
    const limit = s.budget?.limit ?? sessionLimit(undefined, undefined, this.book.config);
    if (!limit) return;
    this.book.addSession(s.id, limit);
    if (!s.budget) this.o.manager.hold(s.id, undefined, { limit, spent: 0, warned: false });
  }

  /**
   * Reads a budget after a turn of `session`, tells what it crossed, and stops what it covers when spent; a
   * session at work under a stop already open (one the stop did not pause) is paused too. Whether it changed.
   */
  private assess(key: BudgetKey, session: string): boolean {
    const r = this.book.read(key, this.o.ledger);
    if (!r) return false;
    const crossed = this.book.observe(r);
    if (key.scope === 'session' && this.o.manager.has(session)) {
      const was = this.o.manager.record(session).budget;
      const now: SessionBudget = { limit: r.limit, spent: round(r.spent), warned: this.book.warned(r, r.day) };
      if (!was || was.spent !== now.spent || was.warned !== now.warned || !sameAmount(was.limit, now.limit))
        this.o.manager.hold(session, undefined, now);
    }
    if (crossed === 'warned') this.notice(r, 'warned', session, null);
    if (crossed === 'stopped') this.stop(r, session);
    if (crossed) return true;
    if (!spent(r) || !this.live(session)) return false;
    const open = this.stops.find((s) => s.state === 'open' && keyName(s.key) === keyName(r) && s.day === r.day);
    if (!open || open.paused.includes(session)) return false;
    open.paused.push(session);
    this.pauseOne(session, r, open.decision);
    return true;
  }

  /** Whether a budget covers a session: its own, its VP's, or the fleet's (any session of the node). */
  private covers(key: BudgetKey, id: string): boolean {
    if (key.scope === 'session') return key.subject === id;
    const known = this.index.has(id) || this.o.manager.has(id);
    if (key.scope === 'fleet') return known;
    const vp = this.index.has(id) ? this.index.get(id) : known ? this.o.manager.record(id).vp : null;
    return vp === key.subject;
  }

  /** A stop of today (or of a session): one of a past day ends as its day does. */
  private current(stop: Stop): boolean {
    return stop.day === null || stop.day === this.o.ledger.today().day;
  }

  /** The live sessions a budget covers on this node. */
  private covered(key: BudgetKey): Readonly<SessionRecord>[] {
    return [...this.index.keys()]
      .filter((id) => this.o.manager.has(id) && this.covers(key, id))
      .map((id) => this.o.manager.record(id));
  }

  /** Asks again about a budget still spent, its sessions still paused. */
  private again(r: Reading, paused: string[]): void {
    this.book.clearStop(r);
    this.book.observe(r);
    const live = paused.filter((id) => this.live(id));
    this.stop(r, live[0] ?? this.covered(r)[0]?.id ?? r.subject, live);
  }

  /** A budget ran out: what it covers is paused (what the operator paused stays theirs), and a decision asks. */
  private stop(r: Reading, crossing: string, already: string[] = []): void {
    const covered = this.covered(r);
    const presets = this.presets(r);
    const paused = covered
      .filter((s) => already.includes(s.id) || (s.state !== 'paused' && s.state !== 'queued') || s.held === 'budget')
      .map((s) => s.id);
    const on = covered.some((s) => s.id === crossing) ? crossing : (covered[0]?.id ?? crossing);
    if (!this.o.manager.has(on)) {
      // nothing of it is on this node to pause or ask about: starts are refused while it is spent (check)
      this.book.clearStop(r);
      return;
    }
    const asked = this.o.manager.decisions.ask(
      {
        node: this.o.node,
        session: on,
        tool: 'budget',
        summary: decisionSummary(r, paused.length, presets[0]!),
        input: stopInput(r, presets),
      },
      'budget',
    );
    const stop: Stop = {
      key: { scope: r.scope, subject: r.subject },
      decision: asked.decision.id,
      paused,
      day: r.day,
      state: 'open',
    };
    this.stops.push(stop);
    for (const id of covered.map((s) => s.id)) this.o.workers.hold(id, true);
    for (const id of paused) this.pauseOne(id, r, stop.decision);
    this.notice(r, 'stopped', crossing, stop.decision);
    // its decision is kept on disk before the stop is: a node that stops now finds both, or asks again
    this.o.manager.flush();
    this.o.audit.append(stoppedAudit(r, on, paused, stop.decision));
    this.save();
    this.await(stop, asked);
  }

  private pauseOne(id: string, r: Reading | null, decision: string): void {
    if (!this.live(id)) return;
    const reason = r ? pausedReason(r, decision, this.presets(r)[0]!) : `budget: waiting on decision ${decision}`;
    this.o.manager.hold(id, reason);
    this.o.workers.hold(id, true);
  }

  private await(stop: Stop, asked: Asked): void {
    void asked.answer.then((a) => this.answered(stop, a));
  }

  /** The operator's answer (or the decision withdrawn: its session ended, or the budget is no longer spent). */
  private answered(stop: Stop, a: Answer): void {
    if (!this.stops.includes(stop)) return;
    const before = this.book.read(stop.key, this.o.ledger);
    if (!this.current(stop)) {
      // an answer about a day that has ended: the new day lets its sessions go, as the rollover does
      this.drop(stop);
      this.release(stop);
      this.save();
      return;
    }
    if (a.by === 'node') {
      this.drop(stop);
      stop.paused = stop.paused.filter((id) => this.live(id));
      if (before && spent(before) && stop.paused.length) {
        // the session it was asked on has ended; the others still wait on it
        this.again(before, stop.paused);
      } else {
        this.book.clearStop(stop.key);
        this.release(stop);
      }
      this.save();
      return;
    }
    if (!a.approve) {
      stop.state = 'denied';
      for (const s of this.covered(stop.key)) void this.o.manager.stop({ session: s.id }).catch(() => undefined);
      stop.paused = [];
      if (stop.key.scope === 'session') this.drop(stop);
      this.o.audit.append(deniedAudit(stop, a.by));
      this.save();
      return;
    }
    const by: Amount | undefined = a.amount ?? (before ? this.presets(before)[0] : undefined);
    const after = by ? this.book.extend(stop.key, by, this.o.ledger) : null;
    this.drop(stop);
    if (after && !('problem' in after)) {
      this.notice(after, 'extended', null, stop.decision);
      this.o.audit.append(extendedAudit(stop, a.by, by!, after));
      if (stop.key.scope === 'session') this.assess(stop.key, stop.key.subject);
      if (spent(after)) {
        // not enough: asked again, its sessions still paused
        this.stop(
          after,
          stop.paused[0] ?? stop.key.subject,
          stop.paused.filter((id) => this.live(id)),
        );
        this.save();
        return;
      }
    } else if (after) {
      this.o.warn(`budget decision ${stop.decision}: ${after.problem}; asked again`);
      if (before && spent(before)) {
        // not extended: its sessions stay paused, and the operator is asked again
        this.again(before, stop.paused);
        this.save();
        return;
      }
    }
    this.release(stop);
    this.save();
  }

  /** Lets go what a stop paused, unless another stop still holds it. */
  private release(stop: Stop): void {
    for (const id of stop.paused) {
      if (!this.live(id) || this.holds(id)) continue;
      this.o.manager.hold(id, null);
      this.o.workers.hold(id, false);
    }
    for (const s of this.covered(stop.key)) if (!this.holds(s.id)) this.o.workers.hold(s.id, false);
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const f of waiting) f();
  }

  /** Stops whose budget is no longer spent end (settings raised, a new day); spend from elsewhere may stop more. */
  private revisit(): void {
    const day = this.o.ledger.today().day;
    let changed = false;
    for (const stop of [...this.stops]) {
      const r = this.book.read(stop.key, this.o.ledger);
      const over = r !== null && spent(r) && (stop.day === null || stop.day === day);
      if (over) continue;
      if (stop.state === 'denied') {
        this.drop(stop);
        changed = true;
      } else this.o.manager.decisions.withdraw(stop.decision, 'the budget is no longer spent');
    }
    const first = new Map<string, string>();
    for (const [id, vp] of this.index) if (vp && !first.has(vp)) first.set(vp, id);
    for (const [vp, id] of first) changed = this.assess({ scope: 'vp', subject: vp }, id) || changed;
    const any = this.index.keys().next();
    if (!any.done) changed = this.assess(FLEET, any.value) || changed;
    if (changed) this.save();
    // within a day the figures only grow: a refused start may go again once a stop ends, the settings change, or
    // a new day begins (not at every report of the rest of the fleet's spend)
    if (changed || day !== this.day) this.wake();
    this.day = day;
  }

  private presets(r: Reading): Amount[] {
    return presetsFor(r.limit, this.book.config);
  }

  private notice(r: Reading, state: BudgetNotice['state'], session: string | null, decision: string | null): void {
    const notice: BudgetNotice = { ...noticeOf(r, state), session, decision };
    this.o.manager.relay({ kind: 'budget', node: this.o.node, notice });
    if (state === 'warned' || state === 'refused')
      this.o.audit.append(noticeAudit(r, state, session, this.book.warnAt));
  }

  private drop(stop: Stop): void {
    this.stops = this.stops.filter((s) => s !== stop);
  }

  private live(id: string): boolean {
    return this.o.manager.has(id) && isLive(this.o.manager.record(id).state);
  }

  private save(): void {
    try {
      saveBudgets(this.o.home, { marks: this.book.state(), stops: this.stops, away: this.book.elsewhere() });
    } catch (e) {
      this.o.warn(`cannot keep the budgets' state: ${(e as Error).message}`);
    }
  }
}

const spent = (r: Reading): boolean => r.spent >= ('usd' in r.limit ? r.limit.usd : r.limit.tokens);
const round = (n: number): number => Math.round(n * 1e6) / 1e6;
const sameAmount = (a: Amount, b: Amount): boolean => sameUnit(a, b) && amountValue(a) === amountValue(b);
