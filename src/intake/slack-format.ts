/**
 * What the Slack intake posts, as Slack messages: a `text` (what notifications and screen readers show) and,
 * where there is more to lay out, Block Kit `blocks`. Everything here is a pure function of agency's own
 * shapes, so that what a thread says can be checked without Slack.
 */
import { DECISION_ID } from '../protocol/ops.js';
import { formatAmount, type BudgetNotice, type Decision, type SessionSummary } from '../protocol/messages.js';
import { mention, slackCode, slackSafe } from './slack-text.js';

/** A Block Kit block, as far as agency builds them. */
export type Block =
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] }
  | { type: 'actions'; block_id: string; elements: Button[] };

export interface Button {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string };
  value: string;
  style?: 'primary' | 'danger';
}

export interface SlackMessage {
  text: string;
  blocks?: Block[];
}

/** The buttons' action ids: what a click on them asks. */
export const APPROVE = 'agency_approve';
export const DENY = 'agency_deny';

/** A session as the thread names it: `node/s-…`. */
export const sessionRef = (s: Pick<SessionSummary, 'node' | 'id'>) => `${s.node}/${s.id}`;

/** The first reply in a task's thread: where it runs, as what, and for whom. */
export function startedMessage(s: SessionSummary, note?: string): SlackMessage {
  const vp = s.vp ? `, VP *${slackSafe(s.vp, { max: 64 })}*` : '';
  const lines = [
    `Started session ${slackCode(sessionRef(s))} on node *${slackSafe(s.node, { max: 64 })}*: discipline *${slackSafe(s.discipline, { max: 64 })}*${vp}${s.model ? `, model ${slackCode(s.model, 64)}` : ''}.`,
    `Its state changes, decisions and result follow in this thread.`,
  ];
  if (note) lines.push(`_${slackSafe(note)}_`);
  return { text: lines.join('\n') };
}

/** A session's state in a few words, as a person reads it. */
export function stateWords(s: Pick<SessionSummary, 'state' | 'held' | 'exitCode'>): string {
  switch (s.state) {
    case 'queued':
      return 'queued';
    case 'starting':
      return 'starting';
    case 'working':
      return 'working';
    case 'needs-input':
      return 'needs input';
    case 'idle':
      return 'done';
    case 'paused':
      return s.held === 'budget' ? 'paused for budget' : 'paused';
    case 'exited':
      return s.exitCode === 0 || s.exitCode === null ? 'done (ended)' : `ended with exit ${s.exitCode}`;
    case 'failed':
      return 'failed';
  }
}

const STATE_ICON: Record<SessionSummary['state'], string> = {
  queued: ':hourglass_flowing_sand:',
  starting: ':arrow_forward:',
  working: ':gear:',
  'needs-input': ':raised_hand:',
  idle: ':white_check_mark:',
  paused: ':double_vertical_bar:',
  exited: ':white_check_mark:',
  failed: ':x:',
};

/** What the state's detail is: why it waits or failed, else what it did last. */
function detail(s: SessionSummary): string | null {
  if ((s.state === 'failed' || s.state === 'needs-input' || s.state === 'queued') && s.reason) return s.reason;
  if (s.state === 'idle' || s.state === 'exited' || s.state === 'paused') return s.reason ?? (s.activity || null);
  return null;
}

/**
 * One reply for the state changes seen since the last one (`passed`: the states it went through on the way,
 * oldest first), ending with where the session is now and, when it is done or failed, its result.
 */
export function stateMessage(s: SessionSummary, passed: readonly string[] = []): SlackMessage {
  const now = stateWords(s);
  const way = passed.filter((w, i) => w !== now && w !== passed[i - 1]);
  const path = way.length ? `${way.join(' → ')} → ` : '';
  const why = detail(s);
  const spent = s.usage.costUsd > 0 ? ` (spent $${s.usage.costUsd.toFixed(s.usage.costUsd < 0.1 ? 4 : 2)})` : '';
  const ended = s.state === 'idle' || s.state === 'exited' || s.state === 'failed';
  const text = `${STATE_ICON[s.state]} ${slackCode(s.id, 40)} ${path}*${now}*${ended ? spent : ''}${why ? `: ${slackSafe(why, { max: 600 })}` : ''}`;
  return { text };
}

/** The value a decision's buttons carry: `node/d-…`, read back by actionTarget. */
export const actionValue = (d: Pick<Decision, 'node' | 'id'>) => `${d.node}/${d.id}`;

/** The node and decision a button's value names, or null when it names none (a value made by someone else). */
export function actionTarget(value: unknown): { node: string; decision: string } | null {
  if (typeof value !== 'string' || value.length > 120) return null;
  const slash = value.indexOf('/');
  if (slash <= 0) return null;
  const node = value.slice(0, slash);
  const decision = value.slice(slash + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(node) || !DECISION_ID.test(decision)) return null;
  return { node, decision };
}

/** What a decision asks, in one line. */
function asks(d: Decision): string {
  if (d.source === 'budget') return `extend its budget: ${slackSafe(d.summary)}`;
  if (d.source === 'merge') return `merge: ${slackSafe(d.summary)}`;
  return `${slackSafe(d.tool, { max: 64 })} ${slackCode(d.summary)}`;
}

function decisionHead(d: Decision): string {
  return `:raised_hand: Decision ${slackCode(d.id, 40)} of ${slackCode(`${d.node}/${d.session}`, 80)}: ${asks(d)}`;
}

/** An open decision, with Approve and Deny buttons. */
export function decisionMessage(d: Decision): SlackMessage {
  const head = decisionHead(d);
  const value = actionValue(d);
  return {
    text: head,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      {
        type: 'actions',
        block_id: `decision:${value}`,
        elements: [
          {
            type: 'button',
            action_id: APPROVE,
            text: { type: 'plain_text', text: d.source === 'budget' ? 'Approve (extend)' : 'Approve' },
            value,
            style: 'primary',
          },
          { type: 'button', action_id: DENY, text: { type: 'plain_text', text: 'Deny' }, value, style: 'danger' },
        ],
      },
    ],
  };
}

/** Who answered, as a person reads it: a Slack user as a mention, the operator, a policy rule, the node. */
export function answeredBy(by: string | null | undefined): string {
  if (!by) return 'someone';
  if (by.startsWith('slack:')) return mention(by.slice('slack:'.length));
  if (by === 'operator') return 'the operator';
  if (by === 'node') return 'the node';
  if (by.startsWith('policy:')) return `policy ${slackCode(by.slice('policy:'.length), 80)}`;
  return slackSafe(by, { max: 80 });
}

/** A decision that is no longer open: the buttons gone, who answered it and how. */
export function answeredMessage(d: Decision): SlackMessage {
  const how =
    d.state === 'approved'
      ? `:white_check_mark: *Approved* by ${answeredBy(d.by)}`
      : d.state === 'denied'
        ? `:no_entry_sign: *Denied* by ${answeredBy(d.by)}`
        : d.state === 'withdrawn'
          ? `:heavy_minus_sign: *Withdrawn* (the session no longer asks)`
          : '*Open*';
  const reason = d.reason ? `: ${slackSafe(d.reason)}` : '';
  const head = decisionHead(d);
  return {
    text: `${head}\n${how}${reason}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${how}${reason}` }] },
    ],
  };
}

/** A budget that was passed, ran out, was extended or refused a start. */
export function budgetMessage(n: BudgetNotice): SlackMessage {
  const of =
    n.scope === 'fleet'
      ? "the fleet's daily budget"
      : n.scope === 'vp'
        ? `VP ${slackCode(n.subject, 64)}'s daily budget`
        : `the budget of ${slackCode(n.subject, 40)}`;
  const spent = `${formatAmount('usd' in n.limit ? { usd: n.spent } : { tokens: Math.round(n.spent) })} of ${formatAmount(n.limit)}`;
  const what =
    n.state === 'warned'
      ? `:warning: ${of} is nearly spent (${spent})`
      : n.state === 'stopped'
        ? `:double_vertical_bar: ${of} ran out (${spent}): its sessions are paused${n.decision ? `; decision ${slackCode(n.decision, 40)} asks to extend it` : ''}`
        : n.state === 'extended'
          ? `:heavy_plus_sign: ${of} was extended (now ${formatAmount(n.limit)})`
          : `:no_entry: ${of} refused to start ${n.session ? slackCode(n.session, 40) : 'a session'} (${spent})`;
  return { text: what };
}

/** The reply to a click by someone the config does not allow to answer. */
export function refusalText(user: string): string {
  return `You may not answer agency's decisions: your Slack user id (${slackSafe(user, { max: 64 })}) is not in the config's slack.allowedUsers. Ask the operator to add it.`;
}

/** To a user not in the list who gave a task: nothing was started. */
export function taskRefusalText(user: string): string {
  return `Nothing was started: your Slack user id (${slackSafe(user || '(none)', { max: 64 })}) is not in the config's slack.allowedUsers, and only the users it lists give agency tasks. Ask the operator to add it.`;
}

/** To a user who gave a task outside the intake's channel, where the config does not take tasks. */
export function wrongChannelText(channel: string | null): string {
  return channel
    ? `Nothing was started: agency takes tasks in <#${channel}> only. Give it the task there.`
    : 'Nothing was started: agency takes tasks in no channel here.';
}

/** A task that was not started, and why. */
export function notStartedText(why: string): string {
  return `:warning: Not started: ${slackSafe(why, { max: 600 })}`;
}
