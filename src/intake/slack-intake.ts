/**
 * The Slack intake's work, apart from Slack's SDK: a task from a message or a slash command is triaged as
 * `agency run` triages one with no node named, started, and followed in its thread; the fleet's events
 * become replies there (state changes, decisions with their buttons, budget stops, the result); a click on
 * a decision's button answers it through the cockpit. Only the users the config lists (`slack.allowedUsers`)
 * start tasks or answer decisions, and tasks come from the intake's channel only unless the config opens
 * other channels (`slack.anyChannel`): anyone else is told so, alone, and nothing starts. Text from Slack is
 * only ever the task given to a session.
 */
import type { CockpitEvent } from '../cockpit/client.js';
import type { RunPlace } from '../cockpit/run-place.js';
import type { LinkStatus } from '../cockpit/types.js';
import { taskProblem } from '../protocol/ops.js';
import { isLive, type Amount, type Decision, type OpArgs, type SessionSummary } from '../protocol/messages.js';
import { answeredAs, mayAnswer } from './slack-access.js';
import {
  actionTarget,
  answeredMessage,
  APPROVE,
  budgetMessage,
  decisionMessage,
  notStartedText,
  refusalText,
  taskRefusalText,
  wrongChannelText,
  startedMessage,
  stateMessage,
  type SlackMessage,
} from './slack-format.js';
import { mention, slackSafe, taskFromSlack } from './slack-text.js';
import { Threads, type Thread } from './slack-threads.js';

/** What the intake needs of Slack. */
export interface SlackPort {
  post(channel: string, msg: SlackMessage, thread?: string): Promise<string>;
  update(channel: string, ts: string, msg: SlackMessage): Promise<void>;
  ephemeral(channel: string, user: string, text: string, thread?: string): Promise<void>;
}

/** What the intake needs of the fleet: the cockpit's view of it, the placement of a task, and a start. */
export interface IntakeFleet {
  place(task: string): Promise<RunPlace>;
  start(task: string, place: RunPlace): Promise<SessionSummary>;
  decide(node: string, args: OpArgs['decide']): Promise<Decision>;
  hasNode(name: string): boolean;
}

export interface IntakeOptions {
  /** the channel tasks are taken from (every message not from a bot), and where fleet-wide news goes */
  channel: string | null;
  /** who may start tasks and answer decisions: nobody else */
  allowedUsers: readonly string[];
  /** take mentions and the slash command in other channels than `channel` too */
  anyChannel?: boolean;
  /** also post the open decisions and failures of sessions not started from Slack, in the channel */
  all: boolean;
  /** the app's own user id, so that its mention is not part of a task */
  botUserId: string | null;
  coalesceMs?: number;
  log(line: string): void;
}

/** Where a message came from: its channel, its ts (the thread hangs from it), who wrote it. */
export interface TaskOrigin {
  channel: string;
  ts: string;
  user: string;
}

/** Where a slash command came from; `respond` answers it to its user alone, wherever it was typed. */
export interface CommandOrigin {
  channel: string;
  user: string;
  respond?: (text: string) => Promise<void>;
}

interface Posted {
  decision: Decision;
  /** the message that shows it, once posted */
  at: { channel: string; ts: string } | null;
  /** the answer the message shows; null while it shows the buttons */
  shows: string | null;
}

const key = (node: string, id: string) => `${node}/${id}`;
/** How many message ids are remembered so that one message (its event and its mention) starts one task. */
const SEEN_KEPT = 2000;

export class SlackIntake {
  private readonly threads: Threads;
  private readonly decisions = new Map<string, Posted>();
  /** sessions not (yet) followed, as last seen: a thread opened just after an event takes the newest */
  private readonly recent = new Map<string, SessionSummary>();
  private readonly seen = new Set<string>();
  /** failures from before the intake started are old news */
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly slack: SlackPort,
    private readonly fleet: IntakeFleet,
    private readonly o: IntakeOptions,
  ) {
    this.threads = new Threads(slack, o.coalesceMs ?? 1500, o.log, (t) => this.forget(t.session.node, t.session.id));
  }

  /** A message in the channel, or a mention of the app: a task, once per message. */
  async message(origin: TaskOrigin, text: string): Promise<void> {
    const id = `${origin.channel}:${origin.ts}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.values().next().value!);
    const refused = this.refusal(origin);
    if (refused) {
      await this.tellUser(origin, refused);
      return;
    }
    await this.task(origin.channel, origin.ts, taskFromSlack(text, this.o.botUserId));
  }

  /** Why this user may not start a task here, or null when they may. */
  private refusal(origin: { channel: string; user: string }): string | null {
    if (!mayAnswer(origin.user, this.o.allowedUsers)) {
      this.o.log(
        `refused a task from Slack user ${slackSafe(origin.user || '(none)', { max: 64 })}: not in slack.allowedUsers`,
      );
      return taskRefusalText(origin.user);
    }
    if (!this.o.anyChannel && origin.channel !== this.o.channel) {
      this.o.log(`refused a task from ${slackSafe(origin.channel, { max: 64 })}: not the intake's channel`);
      return wrongChannelText(this.o.channel);
    }
    return null;
  }

  /**
   * A slash command: its task is posted in the channel it was typed in and followed in that message's
   * thread. Where the app cannot post there, its user alone is told, and nothing starts.
   */
  async command(origin: CommandOrigin, text: string): Promise<void> {
    const tell = (t: string) =>
      origin.respond
        ? origin.respond(t).catch((e: Error) => this.o.log(`could not answer ${origin.user}: ${e.message}`))
        : this.tellUser(origin, t);
    const refused = this.refusal(origin);
    if (refused) {
      await tell(refused);
      return;
    }
    const task = taskFromSlack(text, this.o.botUserId);
    const head = { text: `${mention(origin.user)} asked: ${slackSafe(task || '(nothing)', { max: 600 })}` };
    let ts: string;
    try {
      ts = await this.slack.post(origin.channel, head);
    } catch (e) {
      await tell(
        `agency cannot post in this channel (${slackSafe((e as Error).message, { max: 200 })}), so nothing was started: invite the app to it${this.o.channel ? `, or use agency's channel <#${this.o.channel}>` : ''}.`,
      );
      return;
    }
    await this.task(origin.channel, ts, task);
  }

  private async task(channel: string, ts: string, task: string): Promise<void> {
    const problem = taskProblem(task);
    if (problem) {
      const hint =
        problem === 'the task is empty' ? `${problem}: write what to do, after the mention or the command` : problem;
      await this.slack
        .post(channel, { text: notStartedText(hint) }, ts)
        .catch((e: Error) => this.o.log(`could not reply: ${e.message}`));
      return;
    }
    let s: SessionSummary;
    let place: RunPlace;
    try {
      place = await this.fleet.place(task);
      s = await this.fleet.start(task, place);
    } catch (e) {
      this.o.log(`a task from Slack was not started: ${(e as Error).message}`);
      await this.slack
        .post(
          channel,
          {
            text: notStartedText(
              `${(e as Error).message}. Nothing was started; post the task again when that is fixed.`,
            ),
          },
          ts,
        )
        .catch((err: Error) => this.o.log(`could not reply: ${err.message}`));
      return;
    }
    const newer = this.recent.get(key(s.node, s.id));
    this.recent.delete(key(s.node, s.id));
    this.o.log(`started ${s.node}/${s.id} for a task from Slack (${channel} ${ts})`);
    const t = this.threads.open(channel, ts, s, startedMessage(s, place.note));
    if (newer && newer.updatedAt > s.updatedAt) this.threads.update(newer);
    for (const p of this.decisions.values())
      if (p.decision.state === 'open' && p.decision.node === s.node && p.decision.session === s.id)
        this.postDecision(p, t);
  }

  /** A click on a decision's button: answered for an allowed user, refused (to them alone) for anyone else. */
  async click(c: {
    user: unknown;
    action: string;
    value: unknown;
    channel: string | null;
    ts: string | null;
  }): Promise<void> {
    const target = actionTarget(c.value);
    const user = typeof c.user === 'string' ? c.user : '';
    const tell = (text: string) =>
      c.channel && user ? this.tellUser({ channel: c.channel, user }, text) : Promise.resolve();
    if (!mayAnswer(c.user, this.o.allowedUsers)) {
      this.o.log(
        `refused a click by Slack user ${slackSafe(user || '(none)', { max: 64 })}: not in slack.allowedUsers`,
      );
      await tell(refusalText(user || '(none)'));
      return;
    }
    if (!target || !this.fleet.hasNode(target.node)) {
      await tell('That button names no decision of this fleet.');
      return;
    }
    const approve = c.action === APPROVE;
    const known = this.decisions.get(key(target.node, target.decision));
    const amount = approve && known ? firstPreset(known.decision) : null;
    let answered: Decision;
    try {
      answered = await this.fleet.decide(target.node, {
        decision: target.decision,
        approve,
        by: answeredAs(c.user),
        ...(amount ? { amount } : {}),
      });
    } catch (e) {
      await tell(
        `Decision ${slackSafe(target.decision, { max: 64 })} was not answered: ${slackSafe((e as Error).message)}`,
      );
      return;
    }
    this.o.log(`${answeredAs(c.user)} ${approve ? 'approved' : 'denied'} ${target.node}/${target.decision}`);
    const p = this.remember(answered);
    if (!p.at && c.channel && c.ts) p.at = { channel: c.channel, ts: c.ts };
    await this.showAnswer(p);
  }

  /** Something happened in the fleet. */
  event(e: CockpitEvent): void {
    if (e.kind === 'session') this.session(e.session);
    else if (e.kind === 'decision') this.decision(e.decision);
    else if (e.kind === 'node') this.node(e.node);
    else if (e.kind === 'removed') {
      this.threads.close({ node: e.node, id: e.session });
      this.forget(e.node, e.session);
    } else if (e.kind === 'budget') {
      const t = e.notice.session ? this.threads.get({ node: e.node, id: e.notice.session }) : undefined;
      if (t) void this.threads.reply(t, budgetMessage(e.notice));
      else if (this.o.channel && (e.notice.state === 'stopped' || (this.o.all && e.notice.state !== 'extended')))
        void this.post(this.o.channel, budgetMessage(e.notice));
    }
  }

  private session(s: SessionSummary): void {
    if (this.threads.get(s)) return this.threads.update(s);
    this.recent.set(key(s.node, s.id), s);
    if (!isLive(s.state)) this.forget(s.node, s.id);
    if (this.recent.size > 500) this.recent.delete(this.recent.keys().next().value!);
    if (this.o.all && this.o.channel && s.state === 'failed' && s.updatedAt > this.startedAt)
      void this.post(this.o.channel, stateMessage(s));
  }

  private decision(d: Decision): void {
    const p = this.remember(d);
    if (d.state === 'open') {
      const t = this.threads.get({ node: d.node, id: d.session });
      if (t) this.postDecision(p, t);
      else if (this.o.all && this.o.channel) this.postDecision(p, null);
    } else void this.showAnswer(p);
  }

  private node(n: LinkStatus): void {
    for (const t of this.threads.all()) {
      if (t.session.node !== n.name) continue;
      // back: its next outage is news again
      if (n.state === 'up') t.nodeDown = false;
      if (n.state === 'up' || n.state === 'connecting' || t.nodeDown) continue;
      if (!['working', 'needs-input', 'starting', 'queued', 'paused', 'idle'].includes(t.session.state)) continue;
      t.nodeDown = true;
      void this.threads.reply(t, {
        text: `:warning: Node *${slackSafe(n.name, { max: 64 })}* is ${n.state}${n.error ? ` (${slackSafe(n.error)})` : ''}: the session's news will follow when it is back.`,
      });
    }
  }

  /** A session that ended and was told: the decisions it asked that are settled need no keeping. */
  private forget(node: string, session: string): void {
    for (const [k, p] of this.decisions)
      if (p.decision.node === node && p.decision.session === session && p.decision.state !== 'open')
        this.decisions.delete(k);
  }

  private remember(d: Decision): Posted {
    const k = key(d.node, d.id);
    const had = this.decisions.get(k);
    if (had) {
      had.decision = d;
      return had;
    }
    const p: Posted = { decision: d, at: null, shows: null };
    this.decisions.set(k, p);
    // answered decisions that no message shows need not be kept
    if (this.decisions.size > 1000)
      for (const [k2, q] of this.decisions) if (q.decision.state !== 'open' && !q.at) this.decisions.delete(k2);
    return p;
  }

  private postDecision(p: Posted, t: Thread | null): void {
    if (p.at) return;
    p.at = { channel: t?.channel ?? this.o.channel!, ts: '' };
    const msg = decisionMessage(p.decision);
    const posted = t ? this.threads.reply(t, msg) : this.post(p.at.channel, msg);
    void posted.then((ts) => {
      if (!ts) {
        p.at = null;
        return;
      }
      p.at = { channel: p.at!.channel, ts };
      // answered while it was being posted
      if (p.decision.state !== 'open') void this.showAnswer(p);
    });
  }

  /** The decision's message says who answered it and how, once. */
  private async showAnswer(p: Posted): Promise<void> {
    const d = p.decision;
    if (d.state === 'open' || !p.at?.ts) return;
    const shows = `${d.state} ${d.by ?? ''}`;
    if (p.shows === shows) return;
    p.shows = shows;
    await this.slack.update(p.at.channel, p.at.ts, answeredMessage(d)).catch((e: Error) => {
      p.shows = null;
      this.o.log(`could not update the message of decision ${d.id}: ${e.message}`);
    });
  }

  private post(channel: string, msg: SlackMessage): Promise<string | null> {
    return this.slack.post(channel, msg).catch((e: Error) => {
      this.o.log(`could not post in ${channel}: ${e.message}`);
      return null;
    });
  }

  private tellUser(to: { channel: string; user: string }, text: string): Promise<void> {
    return this.slack
      .ephemeral(to.channel, to.user, text)
      .catch((e: Error) => this.o.log(`could not tell ${to.user}: ${e.message}`));
  }

  /** How much the intake keeps: followed threads, and decisions it remembers. */
  get kept(): { threads: number; decisions: number } {
    return { threads: [...this.threads.all()].length, decisions: this.decisions.size };
  }

  /** Every pending reply sent. */
  drain(): Promise<void> {
    return this.threads.drain();
  }
}

/** What a budget decision approved from Slack extends by: its first preset (the decision's input says). */
function firstPreset(d: Decision): Amount | null {
  if (d.source !== 'budget' || !d.input || typeof d.input !== 'object') return null;
  const presets = (d.input as { presets?: unknown }).presets;
  const first = Array.isArray(presets) ? (presets[0] as unknown) : null;
  if (!first || typeof first !== 'object') return null;
  const f = first as Record<string, unknown>;
  if (typeof f.usd === 'number' && f.usd > 0) return { usd: f.usd };
  if (typeof f.tokens === 'number' && Number.isInteger(f.tokens) && f.tokens > 0) return { tokens: f.tokens };
  return null;
}
