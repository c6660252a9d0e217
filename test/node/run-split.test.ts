/**
 * The node's split of a task (run-split.ts) over the registry agency ships: over the disciplines of the VPs
 * the node carries when it carries some (each session recording its VP), over all of them when it carries
 * none; a task that fits nothing is refused before any session starts; a part that cannot start after
 * others did names the sessions that did.
 */
import { describe, expect, it } from 'vitest';
import { runRegistry } from '../../src/node/run-request.js';
import { runSplit, type SplitNode } from '../../src/node/run-split.js';
import { RemoteError } from '../../src/protocol/connection.js';
import type { NodeOrg, OpArgs, SessionSummary } from '../../src/protocol/messages.js';
import { parseOpArgs } from '../../src/protocol/ops.js';
import { defaultRegistryDir } from '../../src/paths/package.js';

const TASK = 'add a kubernetes helm chart for the service and write the readme documentation for it';
const ORG: NodeOrg = {
  id: 'studio',
  name: 'Studio',
  vps: [
    { id: 'platform', name: 'Platform', mandate: 'm', disciplines: ['security-audit', 'frontend'] },
    { id: 'knowledge', name: 'Docs', mandate: 'm', disciplines: ['documentation'] },
  ],
};

/** A node whose manager records what it is asked to start (the manager itself is tested with a real claude). */
function node(org: NodeOrg | null, fail?: string): SplitNode & { asked: OpArgs['run'][] } {
  const asked: OpArgs['run'][] = [];
  return {
    asked,
    registry: (named) => runRegistry({ registryDir: defaultRegistryDir(), orgRegistry: () => null }, named),
    org: () => org,
    run: async (args) => {
      if (args.discipline === fail) throw new RemoteError('failed', 'the disk is full');
      asked.push(args);
      return { id: `s-${asked.length}`, discipline: args.discipline, vp: args.vp ?? null } as SessionSummary;
    },
  };
}

describe('run-split on a node', () => {
  it('carrying no VP: over all the registry’s disciplines, one session per part, told its part', async () => {
    const n = node(null);
    const r = await runSplit(n, { task: TASK, repo: '/srv/repo' });
    expect(r.sessions.map((s) => s.discipline)).toEqual(['devops', 'documentation']);
    expect(n.asked.map((a) => a.vp)).toEqual([undefined, undefined]);
    expect(n.asked[0]!.task).toContain('Your part is the DevOps and Infrastructure');
    expect(n.asked[0]!.repo).toBe('/srv/repo');
  });

  it('carrying VPs: only their disciplines, each session with its VP', async () => {
    const n = node(ORG);
    await runSplit(n, { task: TASK, repo: '/srv/repo' });
    // devops is no VP's here: the documentation part is the whole of what fits
    expect(n.asked.map((a) => [a.discipline, a.vp])).toEqual([['documentation', 'knowledge']]);
    expect(n.asked[0]!.task).toBe(TASK);
  });

  it('naming a registry of its own: all of its disciplines, whatever VPs the node carries', async () => {
    const n = node(ORG);
    const r = await runSplit(n, { task: TASK, repo: '/srv/repo', registry: defaultRegistryDir() });
    expect(r.sessions.map((s) => s.discipline)).toEqual(['devops', 'documentation']);
    expect(n.asked.map((a) => a.vp)).toEqual([undefined, undefined]);
  });

  it('a budget with a split is refused before anything starts: each part would have all of it', async () => {
    const n = node(null);
    await expect(runSplit(n, { task: TASK, repo: '/srv/repo', budget: { usd: 1 } })).rejects.toThrow(
      /^--budget with --split: a budget is one session's own, and a split starts one session per discipline/,
    );
    expect(n.asked).toEqual([]);
  });

  it('a task that fits nothing is refused before anything starts', async () => {
    const n = node(ORG);
    await expect(runSplit(n, { task: 'bake sourdough bread', repo: '/srv/repo' })).rejects.toThrow(
      'no discipline of the VPs this node carries (platform, knowledge) matches this task',
    );
    expect(n.asked).toEqual([]);
  });

  it('a part that cannot start after another did: the error names the session that started', async () => {
    const n = node(null, 'documentation');
    await expect(runSplit(n, { task: TASK, repo: '/srv/repo' })).rejects.toThrow(
      'started s-1 (devops); the documentation part did not start: the disk is full',
    );
  });

  it('on the wire: the node chooses each part’s discipline and VP, so a request naming one is refused', () => {
    expect(parseOpArgs('run-split', { task: TASK, repo: '/srv/repo', discipline: 'devops' })).toEqual({
      ok: false,
      problem: 'run-split.discipline: unknown key',
    });
    expect(parseOpArgs('run-split', { task: TASK, repo: '/srv/repo', vp: 'platform' })).toMatchObject({ ok: false });
    expect(parseOpArgs('run-split', { task: TASK, repo: '/srv/repo', model: 'haiku' })).toMatchObject({ ok: true });
  });
});
