/**
 * What the operator is told, and how each thing that needs them is said: a decision waiting, a budget that
 * warned, ran out or refused a start, a session that failed, a node lost. Each names its node, its session
 * and why, in one line of title and one of text. A burst is said as one summary.
 */
import type { Decision, SessionSummary } from '../cockpit/types.js';
import { formatAmount, type BudgetNotice } from '../protocol/economics.js';
import { cleanLine, MAX_TEXT, MAX_TITLE, someOf } from './text.js';

export type NoticeKind = 'decision' | 'budget' | 'failed' | 'node' | 'summary';

export interface Notice {
  kind: NoticeKind;
  /** what makes two notices one: a decision, a budget event, a session's failure, a node's loss */
  key: string;
  /** the node (a summary: the nodes, comma-separated) */
  node: string;
  /** the session, when there is one (a summary: the sessions, comma-separated) */
  session: string | null;
  /** the decision waiting, when there is one (a summary: the decisions, comma-separated) */
  decision: string | null;
  title: string;
  text: string;
  /** how many things it tells of: 1, or a summary's count */
  count: number;
}

export const decisionKey = (node: string, id: string) => `d:${node}/${id}`;

function notice(n: Omit<Notice, 'title' | 'text' | 'count'> & { title: string; text: string }): Notice {
  return { ...n, title: cleanLine(n.title, MAX_TITLE), text: cleanLine(n.text, MAX_TEXT), count: 1 };
}

/** Why a decision waits, in a few words: `Bash: rm -rf build`, `merge conflict: w-2`, `budget: …`. */
export function decisionWhy(d: Pick<Decision, 'source' | 'tool' | 'summary'>): string {
  if (d.source === 'merge') return `merge conflict: ${d.summary}`;
  if (d.source === 'budget') return `budget: ${d.summary}`;
  return `${d.tool}: ${d.summary}`;
}

export function decisionNotice(d: Decision): Notice {
  return notice({
    kind: 'decision',
    key: decisionKey(d.node, d.id),
    node: d.node,
    session: d.session,
    decision: d.id,
    title: `agency: ${d.session} on ${d.node} needs you`,
    text: decisionWhy(d),
  });
}

const spentOf = (b: BudgetNotice) => formatAmount('usd' in b.limit ? { usd: b.spent } : { tokens: b.spent });
const budgetOf = (b: BudgetNotice) =>
  b.scope === 'session' ? `session ${b.subject}` : b.scope === 'vp' ? `VP ${b.subject}` : 'the fleet';
const percent = (b: BudgetNotice) => {
  const limit = 'usd' in b.limit ? b.limit.usd : b.limit.tokens;
  return limit > 0 ? Math.floor((b.spent / limit) * 100) : 100;
};

/** A budget's notice: warned, ran out or refused a start. One extended is the operator's own doing: null. */
export function budgetNotice(node: string, b: BudgetNotice): Notice | null {
  const of = `${budgetOf(b)} on ${node}`;
  const spent = `spent ${spentOf(b)} of ${formatAmount(b.limit)}`;
  const session = b.session ?? (b.scope === 'session' ? b.subject : null);
  const base = { kind: 'budget' as const, node, session, decision: b.decision };
  switch (b.state) {
    case 'warned':
      return notice({
        ...base,
        key: `b:${node}/${b.scope}/${b.subject}/warned/${b.at}`,
        title: `agency: budget of ${of} at ${percent(b)}%`,
        text: `${spent}${session && b.scope !== 'session' ? `; last by ${session}` : ''}`,
      });
    case 'stopped':
      return notice({
        ...base,
        // the stop opens a decision: told once, as this notice or as the decision's
        key: b.decision ? decisionKey(node, b.decision) : `b:${node}/${b.scope}/${b.subject}/stopped/${b.at}`,
        title: `agency: budget of ${of} ran out`,
        text: `${spent}; ${b.scope === 'session' ? 'the session is' : 'its sessions are'} paused${
          b.decision ? `, decision ${b.decision} asks to extend or stop` : ''
        }`,
      });
    case 'refused':
      return notice({
        ...base,
        key: `b:${node}/${b.scope}/${b.subject}/refused/${b.at}`,
        title: `agency: a start on ${node} was refused`,
        text: `the budget of ${budgetOf(b)} is spent: ${spent}`,
      });
    default:
      return null;
  }
}

export function failedNotice(s: SessionSummary): Notice {
  const why = s.reason ?? (s.exitCode !== null ? `claude exited with ${s.exitCode}` : 'it failed');
  return notice({
    kind: 'failed',
    key: `f:${s.node}/${s.id}`,
    node: s.node,
    session: s.id,
    decision: null,
    title: `agency: ${s.id} on ${s.node} failed`,
    text: `${why} (task: ${s.task})`,
  });
}

export function nodeNotice(node: string, key: string, lost: boolean, error: string | null): Notice {
  return notice({
    kind: 'node',
    key,
    node,
    session: null,
    decision: null,
    title: `agency: node ${node} ${lost ? 'lost' : 'back'}`,
    text: lost ? `${error ?? 'its link is down'}; its sessions cannot be seen or answered` : 'reachable again',
  });
}

const unique = (xs: readonly (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))];

/** Many notices as one: `5 decisions waiting on studio-01, studio-04`, then what each is about. */
export function summaryNotice(ns: readonly Notice[]): Notice {
  const nodes = unique(ns.map((n) => n.node));
  const decisions = ns.filter((n) => n.kind === 'decision');
  const what = decisions.length === ns.length ? `${ns.length} decisions waiting` : `${ns.length} things need you`;
  const about = ns.map((n) => (n.kind === 'decision' ? `${n.session} ${n.text}` : n.title.replace(/^agency: /, '')));
  return {
    kind: 'summary',
    key: `s:${ns.map((n) => n.key).join(',')}`,
    node: nodes.join(','),
    session: unique(ns.map((n) => n.session)).join(',') || null,
    decision: unique(ns.map((n) => n.decision)).join(',') || null,
    title: cleanLine(`agency: ${what} on ${someOf(nodes)}`, MAX_TITLE),
    text: cleanLine(about.join('; '), MAX_TEXT),
    count: ns.length,
  };
}
