/**
 * The node's budgets, enforced: at each turn the ledger records (a session's or one of its workers'), the
 * session's budget, its VP's of the day and the fleet's of the day are read (the daily ones with what the rest of
 * the fleet spent, as the operator's side last told the node). Past the warning mark the operator is told once;
 * at the limit the session (or every live session of the VP, or of the node) is paused, not killed, with its
 * workers, and one decision asks to extend the budget or stop. An approval grows the budget and resumes what the
 * stop paused, and nothing else; a denial stops those sessions. Starts are refused while a VP's or the fleet's
 * budget is spent (`check`), and a session's queued workers wait while a stop holds it.
 */
import { formatAmount, type Amount, type BudgetNotice, type SessionBudget } from '../protocol/economics.js';
import { isLive, type SessionSummary } from '../protocol/messages.js';
import { RemoteError } from '../protocol/connection.js';
import type { AuditSink } from '../audit/sink.js';
import {
  BudgetBook,
  describeKey,
  keyName,
  presetsFor,
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
  loadBudgets,
  pausedReason,
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
    'snapshot' | 'has' | 'record' | 'hold' | 'stop' | 'decisions' | 'relay' | 'onEvent' | 'resumable'
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

  constructor(private readonly o: BudgetGuardOptions) {
    const kept = loadBudgets(o.home, o.warn);
    this.book = new BudgetBook(kept.marks);
    this.stops = kept.stops;
    this.book.settings(o.settings.current().budgets);
  }

  /** Starts enforcing: after the session table has brought its sessions back. */
  start(): void {
    const o = this.o;
    o.manager.resumable = (r) => this.resumable(r.id);
    for (const s of this.sessions()) this.seen(s);
    // stops kept across a restart: their decisions wait again, and what they paused is paused again
    const open = new Map(o.manager.decisions.asked('budget').map((a) => [a.decision.id, a]));
    for (const stop of [...this.stops]) {
      const asked = open.get(stop.decision);
      if (stop.state === 'denied') continue;
      if (!asked) {
        this.drop(stop);
        this.release(stop);
        continue;
      }
      stop.paused = stop.paused.filter((id) => this.live(id));
      const r = this.book.read(stop.key, o.ledger);
      for (const id of stop.paused) this.pauseOne(id, r, stop.decision);
      this.await(stop, asked);
    }
    o.ledger.onTurn((t) => {
      this.assess({ scope: 'session', subject: t.session }, t.session);
      if (t.vp !== null) this.assess({ scope: 'vp', subject: t.vp }, t.session);
      this.assess(FLEET, t.session);
      this.save();
    });
    o.manager.onEvent((e) => {
      if (e.kind === 'session') this.seen(e.session);
      if (e.kind === 'removed') this.book.dropSession(e.session);
    });
    o.settings.onChange((s) => {
      this.book.settings(s.budgets);
      this.revisit();
    });
    setInterval(() => this.revisit(), REVISIT_MS).unref();
    this.save();
  }

  /** What the rest of the fleet spent today (budget-sync): added to the node's own for the daily budgets. */
  sync(e: SpendElsewhere): void {
    this.book.sync(e);
    this.revisit();
  }

  /** Whether a session's queued workers wait: a stop holds it. */
  holds(session: string): boolean {
    return this.stops.some(
      (s) => s.paused.includes(session) || (s.key.scope === 'session' && s.key.subject === session),
    );
  }

  /** Whether a budget covers a session: its own, its VP's or the fleet's (its turns are gated: turn-gate.ts). */
  covers(session: string): boolean {
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
    for (const stop of this.stops) {
      if (stop.state !== 'open' || !stop.paused.includes(session)) continue;
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
    if (stop?.state === 'open')
      return `approve decision ${stop.decision} to extend it (${approveHint(stop.decision, this.presets(r)[0]!)})`;
    const setting = r.scope === 'fleet' ? 'budgets.fleetDaily' : `budgets.vps.${r.subject} (or budgets.vpDaily)`;
    const why = stop ? 'extending it was denied today' : 'no decision about it is open on this node';
    return `${why}: raise ${setting} in the config and run any agency command (or agency push), or wait for the next UTC day`;
  }

  /** A session the table tells of: counted with its own budget, or the config's for every session. */
  private seen(s: SessionSummary): void {
    if (!isLive(s)) {
      for (const stop of this.stops) stop.paused = stop.paused.filter((id) => id !== s.id);
      return;
    }
    if (this.book.hasSession(s.id)) return;
    const limit = s.budget?.limit ?? sessionLimit(undefined, undefined, this.book.config);
    if (!limit) return;
    this.book.addSession(s.id, limit);
    if (!s.budget) this.o.manager.hold(s.id, undefined, { limit, spent: 0, warned: false });
  }

  /** Reads a budget after a turn of `session`, tells what it crossed, and stops what it covers when spent. */
  private assess(key: BudgetKey, session: string): void {
    const r = this.book.read(key, this.o.ledger);
    if (!r) return;
    const crossed = this.book.observe(r);
    if (key.scope === 'session' && this.o.manager.has(session)) {
      const was = this.o.manager.record(session).budget;
      const now: SessionBudget = { limit: r.limit, spent: round(r.spent), warned: this.warned(r) };
      if (JSON.stringify(was) !== JSON.stringify(now)) this.o.manager.hold(session, undefined, now);
    }
    if (crossed === 'warned') this.notice(r, 'warned', session, null);
    if (crossed === 'stopped') this.stop(r, session);
  }

  private warned(r: Reading): boolean {
    return this.book.state()[keyName(r)]?.warned ?? false;
  }

  /** The live sessions a budget covers on this node. */
  private covered(key: BudgetKey): SessionSummary[] {
    return this.sessions().filter(
      (s) =>
        key.scope === 'fleet' ||
        (key.scope === 'vp' && s.vp === key.subject) ||
        (key.scope === 'session' && s.id === key.subject),
    );
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
    this.o.audit.append({
      kind: 'budget',
      by: 'node',
      session: on,
      summary: `${spentLine(r)}: paused ${paused.length ? paused.join(', ') : 'nothing'}; decision ${stop.decision}`,
      detail: {
        state: 'stopped',
        scope: r.scope,
        subject: r.subject,
        limit: r.limit,
        spent: r.spent,
        decision: stop.decision,
        paused,
      },
    });
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
    if (a.by === 'node') {
      this.drop(stop);
      stop.paused = stop.paused.filter((id) => this.live(id));
      if (before && spent(before) && stop.paused.length) {
        // the session it was asked on has ended; the others still wait on it
        this.book.clearStop(stop.key);
        this.book.observe(before);
        this.stop(before, stop.paused[0]!, stop.paused);
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
      this.o.audit.append({
        kind: 'budget',
        by: a.by,
        session: null,
        summary: `${describeKey(stop.key)} budget not extended: its sessions stopped`,
        detail: { state: 'denied', scope: stop.key.scope, subject: stop.key.subject, decision: stop.decision },
      });
      this.save();
      return;
    }
    const by: Amount | undefined = a.amount ?? (before ? this.presets(before)[0] : undefined);
    const after = by ? this.book.extend(stop.key, by, this.o.ledger) : null;
    this.drop(stop);
    if (after && !('problem' in after)) {
      this.notice(after, 'extended', null, stop.decision);
      this.o.audit.append({
        kind: 'budget',
        by: a.by,
        session: null,
        summary: `${describeKey(stop.key)} budget extended by ${formatAmount(by!)} to ${formatAmount(after.limit)}`,
        detail: {
          state: 'extended',
          scope: stop.key.scope,
          subject: stop.key.subject,
          by,
          limit: after.limit,
          spent: after.spent,
          decision: stop.decision,
        },
      });
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
    } else if (after) this.o.warn(`budget decision ${stop.decision}: ${after.problem}`);
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
  }

  /** Stops whose budget is no longer spent end (settings raised, a new day); spend from elsewhere may stop more. */
  private revisit(): void {
    const day = new Date().toISOString().slice(0, 10);
    for (const stop of [...this.stops]) {
      const r = this.book.read(stop.key, this.o.ledger);
      const over = r !== null && spent(r) && (stop.day === null || stop.day === day);
      if (over) continue;
      if (stop.state === 'denied') this.drop(stop);
      else this.o.manager.decisions.withdraw(stop.decision, 'the budget is no longer spent');
    }
    const live = this.sessions();
    for (const vp of new Set(live.map((s) => s.vp).filter((v): v is string => !!v)))
      this.assess({ scope: 'vp', subject: vp }, live.find((s) => s.vp === vp)!.id);
    if (live.length) this.assess(FLEET, live[0]!.id);
    this.save();
  }

  private presets(r: Reading): Amount[] {
    return presetsFor(r.limit, this.book.config);
  }

  private notice(r: Reading, state: BudgetNotice['state'], session: string | null, decision: string | null): void {
    const notice: BudgetNotice = {
      scope: r.scope,
      subject: r.subject,
      state,
      limit: r.limit,
      spent: round(r.spent),
      session,
      decision,
      at: new Date().toISOString(),
    };
    this.o.manager.relay({ kind: 'budget', node: this.o.node, notice });
    if (state === 'warned' || state === 'refused')
      this.o.audit.append({
        kind: 'budget',
        by: 'node',
        session,
        summary:
          state === 'warned'
            ? `${describeKey(r)} budget passed ${Math.round(this.book.warnAt * 100)} % (${round(r.spent)} of ${formatAmount(r.limit)})`
            : `start refused: ${spentLine(r)}`,
        detail: { state, scope: r.scope, subject: r.subject, limit: r.limit, spent: r.spent },
      });
  }

  private drop(stop: Stop): void {
    this.stops = this.stops.filter((s) => s !== stop);
  }

  private sessions(): SessionSummary[] {
    return this.o.manager.snapshot().sessions.filter((s) => isLive(s));
  }

  private live(id: string): boolean {
    return this.o.manager.has(id) && isLive(this.o.manager.record(id).state);
  }

  private save(): void {
    try {
      saveBudgets(this.o.home, { marks: this.book.state(), stops: this.stops });
    } catch (e) {
      this.o.warn(`cannot keep the budgets' state: ${(e as Error).message}`);
    }
  }
}

const spent = (r: Reading): boolean => r.spent >= ('usd' in r.limit ? r.limit.usd : r.limit.tokens);
const round = (n: number): number => Math.round(n * 1e6) / 1e6;
