/**
 * Landing a session's work from the cockpit: the diff view (files with their counts, then the patch, scrolled
 * a line or a page at a time, plain text whatever the session wrote), how a session's branch stands in its
 * row, and merging and removing, each asked first, with what the node answers on the message line.
 */
import { describe, expect, it } from 'vitest';
import type { DiffResult, Landing, MergeResult, RemoveResult } from '../../src/protocol/messages.js';
import { topLayer } from '../../src/tui/layers.js';
import { at, landing, link, nodeEvent, session, sessionEvent } from '../cockpit/fixtures.js';
import { type Cockpit, KEY, mountEach } from './harness.js';

const app = mountEach();

/** two commits ahead of main, one behind, three files */
const standing = (patch: Partial<Landing> = {}): Landing => landing({ ahead: 2, behind: 1, filesChanged: 3, ...patch });
const ended = (id: string, l: Landing | null) =>
  sessionEvent(
    session('studio-01', id, {
      state: 'exited',
      endedAt: at(1),
      repo: '/home/op/repo',
      base: { branch: 'main', commit: 'abc123' },
      landing: l,
    }),
  );

/** studio-01 with s-1: exited, two commits ahead of main, one behind, three files: ready to land */
const ready = [nodeEvent(link('studio-01')), ended('s-1', standing())];

function diffOf(session: string, patchLines: number, extra: Partial<DiffResult> = {}): DiffResult {
  const body = Array.from({ length: patchLines }, (_, i) => `+line ${i + 1}`).join('\n');
  return {
    session,
    from: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    to: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
    files: [
      { path: 'src/a.ts', added: patchLines, removed: 1, status: 'modified' },
      { path: 'logo.png', added: null, removed: null, status: 'added' },
      { path: 'docs/new.md', from: 'docs/old.md', added: 0, removed: 0, status: 'renamed' },
    ],
    patch: `diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,${patchLines} @@\n-old\n${body}\n`,
    truncated: false,
    dirty: false,
    ...extra,
  };
}

const top = (c: Cockpit) => topLayer(c.controller.getSnapshot().stack);
const where = (c: Cockpit) => c.lines()[1]!.trim();
const row = (c: Cockpit, id: string) => c.lines().find((l) => new RegExp(`^[› ] ${id} `).test(l)) ?? '';
/** the diff view's `lines a–b of n` */
const shown = (c: Cockpit) =>
  /lines (\d+)–(\d+) of (\d+)/
    .exec(c.lines()[2] ?? '')
    ?.slice(1)
    .map(Number) ?? [];

async function nodeView(c: Cockpit): Promise<void> {
  await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-01');
}

describe('the diff view', () => {
  it('D shows the files changed with their counts, then the patch; arrows and pages scroll it; Esc closes', async () => {
    const c = await app({ columns: 80, rows: 24, events: ready });
    c.port.answer.diff = () => diffOf('s-1', 100);
    await nodeView(c);
    await c.press('D', { shows: 'lines 1–' });
    expect(c.port.ops('diff')).toEqual([{ node: 'studio-01', op: 'diff', args: { session: 's-1' } }]);
    const lines = c.lines();
    expect(lines[2]).toContain('diff of s-1 on studio-01');
    const at = (t: string) => lines.findIndex((l) => l.includes(t));
    expect(lines[at('3 files changed')]).toContain('+100 −1');
    expect(lines[at('src/a.ts')]).toMatch(/ M\s+\+100 −1\s+src\/a\.ts/);
    expect(lines[at('logo.png')]).toMatch(/ A\s+binary\s+logo\.png/);
    expect(lines[at('docs/new.md')]).toMatch(/ R\s+\+0 −0\s+docs\/old\.md → docs\/new\.md/);
    // the files first, then the patch
    expect(at('diff --git a/src/a.ts')).toBeGreaterThan(at('docs/new.md'));
    expect(at('@@ -1 +1,100 @@')).toBeGreaterThan(at('diff --git'));
    const [first, last, total] = shown(c);
    expect(first).toBe(1);
    // title, the whole-diff line, three files, a blank, five lines of header and hunk, 100 added lines
    expect(total).toBe(1 + 3 + 1 + 5 + 100);
    const page = last! - first! + 1;
    // the frame: header, where, the view's title and a page of it, message and keys; within the terminal
    expect(c.lines().length).toBeLessThanOrEqual(24);
    expect(page).toBe(24 - 1 - 4 - 1);

    await c.press(KEY.pageDown, (c) => shown(c)[0] === 1 + page);
    await c.press(KEY.down, (c) => shown(c)[0] === 2 + page);
    await c.press(KEY.up, (c) => shown(c)[0] === 1 + page);
    await c.press(KEY.pageUp, (c) => shown(c)[0] === 1);
    // never past the last page
    for (let i = 0; i < 8; i++) await c.press(KEY.pageDown, (c) => shown(c)[1] === Math.min(total!, (i + 2) * page));
    expect(shown(c)).toEqual([total! - page + 1, total, total]);
    expect(c.frame()).toContain('+line 100');

    await c.press(KEY.escape, (c) => top(c).kind === 'node');
    expect(c.frame()).not.toContain('diff of s-1');
  });

  it('says when the worktree has changes the diff leaves out, and when the patch was cut', async () => {
    const c = await app({ events: ready });
    c.port.answer.diff = () => diffOf('s-1', 3, { dirty: true, truncated: true });
    await nodeView(c);
    await c.press('D', { shows: 'lines 1–' });
    expect(c.frame()).toContain('the worktree has changes not committed: they are not part of this diff');
    expect(c.frame()).toContain('… the patch is cut here (too large to show whole): agency diff s-1 writes it all');
  });

  it('a diff the node refuses, or an answer that is no diff, closes the view and says why', async () => {
    const c = await app({ events: ready });
    c.port.answer.diff = () => {
      throw new Error('this node cannot diff yet');
    };
    await nodeView(c);
    await c.press('D', { shows: 'diff of s-1 failed: this node cannot diff yet' });
    expect(top(c)).toEqual({ kind: 'node', node: 'studio-01' });
    expect(c.controller.getSnapshot().message?.tone).toBe('error');
    c.port.answer.diff = () => ({ session: 's-1', files: 'nope' });
    await c.press('D', { shows: 'node studio-01 answered with something that is not a diff' });
    expect(top(c)).toEqual({ kind: 'node', node: 'studio-01' });
  });

  it('M on the diff asks to merge the session it shows, over the diff', async () => {
    const c = await app({ events: ready });
    c.port.answer.diff = () => diffOf('s-1', 3);
    await nodeView(c);
    await c.press('D', { shows: 'lines 1–' });
    await c.press('M', { shows: "Merge s-1's branch agency/s-1" });
    expect(c.frame()).toContain('diff of s-1'); // the diff stays in view under the question
    await c.press('y', (c) => c.port.ops('merge').length === 1);
    expect(c.port.ops('merge')).toEqual([{ node: 'studio-01', op: 'merge', args: { session: 's-1' } }]);
  });
});

describe('a session row and how its branch stands', () => {
  it('shows commits ahead and behind and files changed, marks the sessions ready to land, at 160 and at 80 columns', async () => {
    const events = [
      ...ready,
      ended('s-2', standing({ merged: true, ahead: 0 })),
      sessionEvent(
        session('studio-01', 's-3', { state: 'idle', landing: standing({ ahead: 1, behind: 0, filesChanged: 1 }) }),
      ),
      sessionEvent(session('studio-01', 's-4', { state: 'working' })),
      ended('s-5', standing({ ahead: 1, behind: 0, filesChanged: 2, dirty: true })),
    ];
    const c = await app({ columns: 160, rows: 48, events });
    expect(c.lines()[0]).toContain('2 ready to land');
    expect(c.frame()).toMatch(/· 2 ready to land/); // on the node's tile
    await nodeView(c);
    expect(c.lines().find((l) => l.includes('SESSION'))).toContain('LANDING');
    expect(row(c, 's-1')).toMatch(/exited\s+ready ↑2 ↓1 3f /);
    expect(row(c, 's-2')).toMatch(/exited\s+merged /);
    // live: not ready to land, however far ahead
    expect(row(c, 's-3')).toMatch(/idle\s+↑1 1f /);
    expect(row(c, 's-4')).toMatch(/working\s+backend/);
    expect(row(c, 's-5')).toMatch(/exited\s+ready ↑1 2f\* /);
    await c.resize(80, 24, (c) => !c.lines().some((l) => l.includes('TOKENS')));
    expect(row(c, 's-1')).toMatch(/exited\s+✔ ↑2 ↓1 3f /);
    for (const l of c.lines()) expect(l.length).toBeLessThanOrEqual(80);
    await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-01 › s-1');
    expect(c.lines()[3]).toContain('agency/s-1: ready to land: 2 commits ahead, 1 behind of main, 3 files changed');
  });
});

describe('merge and clean up', () => {
  it('M asks first; y merges and says where the work landed; n does nothing', async () => {
    const c = await app({ events: ready });
    const merged: MergeResult = {
      session: 's-1',
      repo: '/home/op/repo',
      into: 'main',
      commit: '1234567890abcdef',
      fastForward: true,
      files: 3,
      alreadyMerged: false,
    };
    c.port.answer.merge = () => merged;
    await nodeView(c);
    await c.press('M', {
      shows: "Merge s-1's branch agency/s-1 (2 commits, 3 files) into main on studio-01, in /home/op/repo?",
    });
    await c.press('n', (c) => top(c).kind === 'node');
    expect(c.port.calls).toEqual([]);
    await c.press('M', { shows: "Merge s-1's branch" });
    await c.press('y', { shows: 'merged s-1 into main of /home/op/repo: fast-forward 1234567890, 3 files changed' });
    expect(c.port.ops('merge')).toEqual([{ node: 'studio-01', op: 'merge', args: { session: 's-1' } }]);
    // the branch had it all already (as this cockpit had not heard yet): nothing changed, and it says so
    c.port.answer.merge = () => ({ ...merged, alreadyMerged: true });
    await c.press('M', { shows: "Merge s-1's branch" });
    await c.press('y', { shows: "s-1's work was on main of /home/op/repo already: nothing changed" });
  });

  it('a merge the node refuses says what the node said (the conflicting files, a dirty target)', async () => {
    const c = await app({ events: ready });
    await nodeView(c);
    for (const refusal of [
      'merging agency/s-1 into main conflicts in src/a.ts, src/b.ts: nothing was changed',
      'the checkout at /home/op/repo has changes not committed (src/c.ts): commit or stash them first',
    ]) {
      c.port.answer.merge = () => {
        throw new Error(refusal);
      };
      await c.press('M', { shows: "Merge s-1's branch" });
      await c.press('y', { shows: `merge of s-1 failed: ${refusal}` });
      expect(c.controller.getSnapshot().message).toEqual({ text: `merge of s-1 failed: ${refusal}`, tone: 'error' });
    }
  });

  it('a merge of a live session says that later commits are not in it', async () => {
    const c = await app({
      events: [
        nodeEvent(link('studio-01')),
        sessionEvent(session('studio-01', 's-7', { state: 'idle', landing: standing() })),
      ],
    });
    await nodeView(c);
    // a question too long for one line takes the two lines of the footer
    const footer = (c: Cockpit) =>
      c
        .lines()
        .slice(-2)
        .map((l) => l.trim())
        .join(' ');
    await c.press('M', (c) => footer(c).includes('It is still idle: commits it makes later are not in this merge.'));
    expect(footer(c)).toBe(
      "Merge s-7's branch agency/s-7 (2 commits, 3 files) into the branch it started from on studio-01, in /repo? It is still idle: commits it makes later are not in this merge.  (y: yes, n: no)",
    );
  });

  it('C asks first; unmerged work is kept under refs/agency/recovered/ (force), merged work is just removed; the session leaves the views', async () => {
    const c = await app({ events: [...ready, ended('s-2', standing({ merged: true, ahead: 0 }))] });
    c.port.answer.rm = (args) => {
      const a = args as { session: string; force?: boolean };
      return {
        session: a.session,
        worktree: `/wt/${a.session}`,
        branch: `agency/${a.session}`,
        recovered: a.force ? `refs/agency/recovered/${a.session}` : null,
        setAside: a.session === 's-2' ? '/home/op/.agency/set-aside/s-2' : null,
      } satisfies RemoveResult;
    };
    await nodeView(c);
    await c.press('C', {
      shows:
        'Remove s-1 on studio-01: its worktree and branch agency/s-1? Its 2 commits not merged are kept under refs/agency/recovered/.',
    });
    await c.press('y', {
      shows: 'removed s-1: worktree /wt/s-1, branch agency/s-1; its unmerged work is kept at refs/agency/recovered/s-1',
    });
    expect(c.port.ops('rm')).toEqual([{ node: 'studio-01', op: 'rm', args: { session: 's-1', force: true } }]);
    expect(row(c, 's-1')).toBe('');
    expect(row(c, 's-2')).not.toBe('');

    // from the session's own view: back to the node's view once it is gone
    await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-01 › s-2');
    await c.press('C', { shows: 'Remove s-2 on studio-01: its worktree and branch agency/s-2?' });
    expect(c.frame()).not.toContain('refs/agency/recovered');
    await c.press('y', {
      shows:
        'removed s-2: worktree /wt/s-2, branch agency/s-2; what the node set aside from its worktree is at /home/op/.agency/set-aside/s-2',
    });
    expect(c.port.ops('rm')[1]).toEqual({ node: 'studio-01', op: 'rm', args: { session: 's-2' } });
    expect(where(c)).toBe('fleet › studio-01');
    expect(c.frame()).toContain('no sessions: n starts a new task here');
  });

  it('a removal the node refuses says why, and the session stays', async () => {
    const c = await app({ events: ready });
    c.port.answer.rm = () => {
      throw new Error('session s-1 has changes not committed in its worktree: commit them or use --force');
    };
    await nodeView(c);
    await c.press('C', { shows: 'Remove s-1' });
    await c.press('y', { shows: 'removing s-1 failed: session s-1 has changes not committed' });
    expect(row(c, 's-1')).not.toBe('');
  });
});
