/**
 * The keys that land a session's work: its diff (a scrollable view of the files changed and the patch),
 * merging its branch into the branch it started from, and removing an ended session's worktree and branch.
 * Merging and removing ask first; what the node answers, done or refused, shows on the message line.
 */
import { isLive, type MergeResult, type RemoveResult, type SessionSummary } from '../../cockpit/types.js';
import { diffLines } from '../diff-lines.js';
import { topLayer, type DiffLayer, type Layer } from '../layers.js';
import { findSession } from '../select.js';
import { endedSession, reachableSession, refine, type SessionContext } from './when.js';
import { bind, type Actions, type KeyContext } from './binding.js';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const message = (e: unknown) => (e as Error)?.message ?? String(e);

/** The session the diff on top is of; otherwise the session in focus. */
function landingSession(c: KeyContext): string | SessionContext {
  const top = c.top;
  if (top.kind !== 'diff') return reachableSession(c);
  const session = findSession(c.fleet, top.node, top.session);
  return session ? reachableSession({ ...c, node: top.node, session }) : `session ${top.session} is gone`;
}

/** Opens the diff view of the session and asks its node for the diff; a refusal closes it and says why. */
function openDiff(a: Actions, { node, session: s }: SessionContext): void {
  const loading: DiffLayer = { kind: 'diff', node, session: s.id, lines: null, scroll: 0 };
  a.push(loading);
  const stillLoading = () => topLayer(a.ui().stack) === loading;
  const fail = (e: unknown) => {
    if (stillLoading()) a.pop();
    a.say(`diff of ${s.id} failed: ${message(e)}`, 'error');
  };
  a.port.request(node, 'diff', { session: s.id }).then((d) => {
    if (!stillLoading()) return;
    try {
      a.replaceTop({ ...loading, lines: diffLines(d) });
    } catch {
      fail(new Error(`node ${node} answered with something that is not a diff`));
    }
  }, fail);
}

/** Scrolls the diff on top by `by` lines, within its length. */
export function scrollDiff(a: Actions, by: number): void {
  const top = topLayer(a.ui().stack);
  if (top.kind !== 'diff' || !top.lines) return;
  const max = Math.max(0, top.lines.length - a.diffRows());
  const scroll = Math.max(0, Math.min(max, top.scroll + by));
  if (scroll !== top.scroll) a.replaceTop({ ...top, scroll });
}

function mergeable(c: KeyContext): string | SessionContext {
  return refine(landingSession(c), ({ session: s }) => {
    const l = s.landing;
    if (!l) return null; // not measured yet: the node knows
    if (l.merged) return `session ${s.id}'s work is merged already`;
    if (l.ahead === 0)
      return `session ${s.id} has no commits to merge${l.dirty ? ' (its changes are not committed)' : ''}`;
    return null;
  });
}

function mergeText(s: SessionSummary, r: MergeResult): string {
  if (r.alreadyMerged) return `${s.id}'s work was on ${r.into} of ${r.repo} already: nothing changed`;
  return `merged ${s.id} into ${r.into} of ${r.repo}: ${r.fastForward ? 'fast-forward' : 'merge commit'} ${r.commit.slice(0, 10)}, ${plural(r.files, 'file')} changed`;
}

function merge(a: Actions, { node, session: s }: SessionContext): void {
  const l = s.landing;
  const what = l ? ` (${plural(l.ahead, 'commit')}, ${plural(l.filesChanged, 'file')})` : '';
  const into = s.base?.branch ?? 'the branch it started from';
  const live = isLive(s) ? ` It is still ${s.state}: commits it makes later are not in this merge.` : '';
  a.confirm(`Merge ${s.id}'s branch ${s.branch}${what} into ${into} on ${node}, in ${s.origin ?? s.repo}?${live}`, () =>
    a.report(a.port.request(node, 'merge', { session: s.id }), (r) => mergeText(s, r), `merge of ${s.id} failed`),
  );
}

/** The stack without the views of a session that is gone: back to its node's view. */
function withoutSession(stack: readonly Layer[], node: string, session: string): Layer[] {
  const at = stack.findIndex((l) => l.kind === 'session' && l.node === node && l.session === session);
  return at < 0 ? [...stack] : stack.slice(0, at);
}

function removeText(s: SessionSummary, r: RemoveResult): string {
  const gone = [r.worktree ? `worktree ${r.worktree}` : null, r.branch ? `branch ${r.branch}` : null].filter(Boolean);
  const kept = [
    r.recovered ? `its unmerged work is kept at ${r.recovered}` : null,
    r.setAside ? `what the node set aside from its worktree is at ${r.setAside}` : null,
  ].filter(Boolean);
  return `removed ${s.id}${gone.length ? `: ${gone.join(', ')}` : ''}${kept.map((k) => `; ${k}`).join('')}`;
}

function cleanUp(a: Actions, { node, session: s }: SessionContext): void {
  const l = s.landing;
  // work its base has not taken is kept under refs/agency/recovered/ before the branch goes (never lost)
  const unmerged = l !== null && l.ahead > 0 && !l.merged;
  const keep = unmerged
    ? ` Its ${plural(l.ahead, 'commit')} not merged ${l.ahead === 1 ? 'is' : 'are'} kept under refs/agency/recovered/.`
    : '';
  const dirty = l?.dirty ? ' Its worktree has changes not committed.' : '';
  a.confirm(`Remove ${s.id} on ${node}: its worktree and branch ${s.branch}?${keep}${dirty}`, () =>
    a.report(
      a.port.request(node, 'rm', { session: s.id, ...(unmerged ? { force: true } : {}) }),
      (r) => {
        a.set({ stack: withoutSession(a.ui().stack, node, s.id) });
        a.learn({ kind: 'removed', node, session: s.id });
        return removeText(s, r);
      },
      `removing ${s.id} failed`,
    ),
  );
}

export const LANDING_BINDINGS = [
  bind({
    id: 'diff',
    keys: ['D'],
    description: "show the session's diff: files changed, then the patch",
    layers: ['node', 'session'],
    hint: 'diff',
    when: reachableSession,
    run: openDiff,
  }),
  bind({
    id: 'merge',
    keys: ['M'],
    description: "merge the session's branch into the branch it started from (asks first)",
    layers: ['node', 'session', 'diff'],
    hint: 'merge',
    when: mergeable,
    run: merge,
  }),
  bind({
    id: 'clean-up',
    keys: ['C'],
    description: 'clean up an ended session: remove its worktree and branch, keeping unmerged work (asks first)',
    layers: ['node', 'session'],
    hint: 'clean up',
    when: endedSession,
    run: cleanUp,
  }),
];
