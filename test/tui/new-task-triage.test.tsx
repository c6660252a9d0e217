/**
 * The new-task form with an organisation configured: with no node chosen it shows the VP the task goes to and
 * its node, by the same rule as `agency run` (cockpit/triage.ts), and Enter starts it there with the VP's
 * discipline and the VP; a VP whose node is down is shown falling back, with the note.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { triageOf } from '../../src/cli/org-triage.js';
import { defaultRegistryDir } from '../../src/paths/package.js';
import { loadRegistryAt } from '../../src/registry/index.js';
import { link, nodeEvent, session, sessionEvent } from '../cockpit/fixtures.js';
import { type Cockpit, KEY, mountEach } from './harness.js';

const app = mountEach();
const triage = triageOf(
  loadRegistryAt(fileURLToPath(new URL('../fixtures/orgs/studio-three', import.meta.url)), defaultRegistryDir()),
);
const FLEET = [
  nodeEvent(link('n1')),
  nodeEvent(link('n2')),
  nodeEvent(link('n3')),
  sessionEvent(session('n1', 's-1')),
  sessionEvent(session('n3', 's-2')),
];
const field = (c: Cockpit, label: string) => c.lines().find((l) => new RegExp(`[›│ ] ${label}\\s`).test(l)) ?? '';

describe('the new-task form with an organisation', () => {
  it('shows the VP and its node for the task typed, and Enter starts it there with the VP', async () => {
    const c = await app({ events: FLEET, triage });
    await c.press('n', { shows: 'new task' });
    await c.type('add a kubernetes helm chart', (c) => field(c, 'Node').includes('Platform'));
    expect(field(c, 'Node')).toContain("VP Platform and Security's node (now n2, 0 live)");
    expect(field(c, 'Discipline')).toContain('best match (now devops)');
    await c.press(KEY.enter, (c) => c.port.ops('run').length === 1);
    expect(c.port.ops('run')).toEqual([
      {
        node: 'n2',
        op: 'run',
        args: { task: 'add a kubernetes helm chart', repo: '/work/repo', discipline: 'devops', vp: 'platform' },
      },
    ]);
  });

  it('a VP whose node is down: the least loaded node, and the note says why', async () => {
    const c = await app({ events: [...FLEET, nodeEvent(link('n2', 'down', 'no route to host'))], triage });
    await c.press('n', { shows: 'new task' });
    await c.type('add a kubernetes helm chart', (c) => field(c, 'Node').includes('Platform'));
    expect(field(c, 'Node')).toContain("VP Platform and Security's node (now n1, 1 live)");
    expect(c.frame()).toContain('VP Platform and Security (platform): none of its nodes is reachable (n2 down)');
  });

  it('a task that fits no VP: the least loaded node; a node chosen wins over the VP', async () => {
    const c = await app({ events: FLEET, triage });
    await c.press('n', { shows: 'new task' });
    await c.type('bake bread', (c) => field(c, 'Node').includes('least loaded (now n2, 0 live)'));
    expect(c.frame()).toContain('the task fits no discipline of the organisation Studio Three');
    const focused = (c: Cockpit) => c.lines().some((l) => l.includes('│ › Node'));
    await c.press('\t', (c) => c.lines().some((l) => l.includes('│ › Repository')));
    await c.press('\t', (c) => c.lines().some((l) => l.includes('│ › Discipline')));
    await c.press('\t', focused);
    expect(c.frame()).toContain('← → [by VP] · n1 (1 live)');
    await c.press(KEY.right, (c) => field(c, 'Node').includes('n1 (1 live)'));
    await c.press(KEY.enter, (c) => c.port.ops('run').length === 1);
    expect(c.port.ops('run')[0]).toMatchObject({ node: 'n1', args: { task: 'bake bread' } });
    expect(c.port.ops('run')[0]!.args).not.toHaveProperty('vp');
  });
});
