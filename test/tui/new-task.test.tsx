/**
 * The new-task form: it shows the repository, the discipline and the node a task will get before it starts,
 * and lets the operator change each (Tab between fields, ← → through the choices, Enter to start, Esc to
 * cancel); a refusal keeps what was typed.
 */
import { describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../src/protocol/messages.js';
import { topLayer } from '../../src/tui/layers.js';
import { link, nodeEvent, session, sessionEvent } from '../cockpit/fixtures.js';
import { type Cockpit, KEY, mountEach } from './harness.js';

const app = mountEach();

const DISCIPLINES = [
  { id: 'backend', title: 'Backend engineering' },
  { id: 'docs', title: 'Documentation' },
];
/** studio-01 with two live sessions, studio-02 with none, studio-03 down */
const FLEET = [
  nodeEvent(link('studio-01')),
  nodeEvent(link('studio-02')),
  nodeEvent(link('studio-03', 'down', 'connection refused')),
  sessionEvent(session('studio-01', 's-1')),
  sessionEvent(session('studio-01', 's-2', { state: 'idle' })),
];
const SHIFT_TAB = '\x1b[Z';

const field = (c: Cockpit, label: string) => c.lines().find((l) => new RegExp(`[›│ ] ${label}\\s`).test(l)) ?? '';
const focused = (c: Cockpit) =>
  c
    .lines()
    .find((l) => l.includes('│ › '))
    ?.replace(/^│ › /, '') ?? '';
const form = (c: Cockpit) => {
  const top = topLayer(c.controller.getSnapshot().stack);
  return top.kind === 'form' ? top : null;
};
const message = (c: Cockpit) => c.lines().at(-2)!.trim();

async function erase(c: Cockpit, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const before = c.controller.getSnapshot();
    await c.press(KEY.backspace, (c) => c.controller.getSnapshot() !== before);
  }
}

describe('the new-task form', () => {
  it('shows the repository, the discipline and the node the task will get, the node being the least loaded', async () => {
    const c = await app({ events: FLEET, disciplines: DISCIPLINES });
    await c.press('n', { shows: 'new task' });
    expect(focused(c)).toMatch(/^Task\s/);
    expect(field(c, 'Repository')).toContain('/work/repo');
    expect(field(c, 'Discipline')).toContain('best match');
    expect(field(c, 'Node')).toContain('least loaded (now studio-02, 0 live)');
    expect(c.lines().some((l) => l.includes('cannot start yet: type the task first'))).toBe(true);
  });

  it('Tab and ← → change each field; Enter starts the task with them; the next form starts from them', async () => {
    const c = await app({ events: FLEET, disciplines: DISCIPLINES });
    await c.press('n', { shows: 'new task' });
    await c.type('write the changelog');
    await c.press('\t', (c) => focused(c).startsWith('Repository'));
    await erase(c, '/work/repo'.length);
    await c.type('/srv/site');
    expect(field(c, 'Repository')).toContain('/srv/site');
    await c.press('\t', (c) => focused(c).startsWith('Discipline'));
    expect(c.frame()).toContain('← → [best match] · backend · docs');
    await c.press(KEY.right, (c) => field(c, 'Discipline').includes('backend: Backend engineering'));
    await c.press(KEY.right, (c) => field(c, 'Discipline').includes('docs: Documentation'));
    expect(c.frame()).toContain('← → best match · backend · [docs]');
    await c.press('\t', (c) => focused(c).startsWith('Node'));
    // the reachable nodes only: studio-03 is down
    expect(c.frame()).toContain('← → [least loaded] · studio-01 (2 live) · studio-02 (0 live)');
    await c.press(KEY.right, (c) => field(c, 'Node').includes('studio-01 (2 live)'));
    await c.press(KEY.right, (c) => field(c, 'Node').includes('studio-02 (0 live)'));
    await c.press(KEY.right, (c) => field(c, 'Node').includes('least loaded'));
    await c.press(KEY.left, (c) => field(c, 'Node').includes('studio-02 (0 live)'));
    // Shift-Tab and ↑ go back; ↓ forward
    await c.press(SHIFT_TAB, (c) => focused(c).startsWith('Discipline'));
    await c.press(KEY.up, (c) => focused(c).startsWith('Repository'));
    await c.press(KEY.down, (c) => focused(c).startsWith('Discipline'));

    await c.press(KEY.enter, (c) => c.port.ops('run').length === 1);
    expect(c.port.ops('run')).toEqual([
      { node: 'studio-02', op: 'run', args: { task: 'write the changelog', repo: '/srv/site', discipline: 'docs' } },
    ]);
    await c.until({ shows: 'started s-new on studio-02 (backend) in /srv/site' });
    expect(form(c)).toBeNull();
    // the session the node answered with is in the store at once
    expect(
      c.store
        .getSnapshot()
        .sessions.get('studio-02')
        ?.map((s) => s.id),
    ).toEqual(['s-new']);

    await c.press('n', { shows: 'new task' });
    expect(field(c, 'Repository')).toContain('/srv/site');
    expect(field(c, 'Discipline')).toContain('docs');
    expect(field(c, 'Node')).toContain('least loaded');
  });

  it('takes a discipline typed that the registry does not list; the node decides', async () => {
    const c = await app({ events: FLEET, disciplines: DISCIPLINES });
    await c.press('n', { shows: 'new task' });
    await c.type('audit the login flow');
    await c.press('\t', (c) => focused(c).startsWith('Repository'));
    await c.press('\t', (c) => focused(c).startsWith('Discipline'));
    await c.type('security', (c) => field(c, 'Discipline').includes('security'));
    expect(field(c, 'Discipline')).toContain('security (not in this cockpit’s registry: the node decides)');
    await c.press(KEY.enter, (c) => c.port.ops('run').length === 1);
    expect(c.port.ops('run')[0]!.args).toEqual({
      task: 'audit the login flow',
      repo: '/work/repo',
      discipline: 'security',
    });
  });

  it('a refusal keeps the form and everything typed, and says why; Esc then cancels without starting', async () => {
    const c = await app({ events: FLEET, disciplines: DISCIPLINES });
    c.port.answer.run = () => {
      throw new Error('/work/repo is not a git repository: give --repo a folder inside one');
    };
    await c.press('n', { shows: 'new task' });
    await c.type('fix the flaky test');
    await c.press(KEY.enter, { shows: 'new task failed: /work/repo is not a git repository' });
    expect(form(c)).toMatchObject({ task: 'fix the flaky test', repo: '/work/repo', busy: false });
    expect(c.controller.getSnapshot().message?.tone).toBe('error');
    await c.press(KEY.escape, (c) => form(c) === null);
    expect(c.port.ops('run')).toHaveLength(1);
  });

  it('while the node has not answered, the form says so and Enter does not start the task twice', async () => {
    const c = await app({ events: FLEET });
    let answer: (s: SessionSummary) => void = () => undefined;
    c.port.answer.run = () => new Promise<SessionSummary>((resolve) => (answer = resolve));
    await c.press('n', { shows: 'new task' });
    await c.type('one task');
    await c.press(KEY.enter, { shows: 'new task: starting…' });
    await c.press(KEY.enter, { shows: 'starting already: waiting for the node to answer' });
    await c.type('x', { shows: 'starting already' });
    expect(form(c)?.task).toBe('one task');
    expect(c.port.ops('run')).toHaveLength(1);
    answer(session('studio-02', 's-9', { task: 'one task' }));
    await c.until({ shows: 'started s-9 on studio-02' });
    expect(form(c)).toBeNull();
  });

  it('a relative repository is taken from where the cockpit runs for the local node, and refused for a remote one', async () => {
    const local = await app({ events: [nodeEvent({ ...link('local'), transport: 'local' })], cwd: '/home/op/src' });
    await local.press('n', { shows: 'new task' });
    await local.type('tidy up');
    await local.press('\t', (c) => focused(c).startsWith('Repository'));
    await erase(local, '/work/repo'.length);
    await local.type('site');
    await local.press(KEY.enter, (c) => c.port.ops('run').length === 1);
    expect(local.port.ops('run')[0]!.args).toMatchObject({ repo: '/home/op/src/site' });

    const remote = await app({ events: FLEET, cwd: '/home/op/src' });
    await remote.press('n', { shows: 'new task' });
    await remote.type('tidy up');
    await remote.press('\t', (c) => focused(c).startsWith('Repository'));
    await erase(remote, '/work/repo'.length);
    await remote.type('site');
    const why =
      'site is a relative path, which means nothing on a remote node: give an absolute path or a git URL, or choose the local node';
    await remote.until({ shows: `cannot start yet: ${why}` });
    await remote.press(KEY.enter, (c) => c.controller.getSnapshot().message?.text.includes(why) ?? false);
    expect(remote.controller.getSnapshot().message?.tone).toBe('why');
    await remote.until((c) =>
      message(c).startsWith('Enter (start the task with what the form says): site is a relative'),
    );
    expect(remote.port.ops('run')).toEqual([]);
    // a URL goes as typed: the node clones it
    await erase(remote, 'site'.length);
    await remote.type('https://git.example.com/team/site.git');
    await remote.press(KEY.enter, (c) => c.port.ops('run').length === 1);
    expect(remote.port.ops('run')[0]!.args).toMatchObject({ repo: 'https://git.example.com/team/site.git' });
  });
});
