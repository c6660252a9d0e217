/**
 * The third tier end to end: a real Claude Code session (the manager) fans out through agency's MCP server,
 * the node runs real claude workers in waves per model, and the manager's context gets summaries only; write
 * workers' branches are merged oldest first, a conflict goes to a resolver, and no commit is lost.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fixtures/messages-api.js';
import { deferAfterEach } from '../helpers/defer.js';
import { runApproving, testNode } from '../helpers/node.js';
import { managerScript, scenario, workerNameOf, workerRoute, type WorkerSpec } from '../helpers/worker-scripts.js';

const defer = deferAfterEach();

/** The most conversations of one model whose requests overlapped in time, per model (worker conversations only). */
function overlapByModel(requests: RecordedRequest[]): Record<string, number> {
  const spans = new Map<string, { model: string; from: number; to: number }>();
  for (const r of requests) {
    if (r.kind !== 'main') continue;
    const prompt = JSON.stringify(r.body?.messages?.[0] ?? '');
    const name = workerNameOf(prompt.replace(/\\"/g, '"'));
    if (!name) continue;
    const s = spans.get(name) ?? { model: String(r.body.model), from: r.at, to: r.at };
    s.to = Math.max(s.to, r.at);
    spans.set(name, s);
  }
  const out: Record<string, number> = {};
  for (const s of spans.values()) {
    const overlapping = [...spans.values()].filter(
      (o) => o.model === s.model && o.from <= s.from && o.to >= s.from,
    ).length;
    out[s.model] = Math.max(out[s.model] ?? 0, overlapping);
  }
  return out;
}

describe('workers', () => {
  it(
    '30 workers across three models run in waves within the limits, and the manager reads only the summaries',
    { timeout: 600_000 },
    async () => {
      const models = ['haiku', 'sonnet', 'opus'] as const;
      const workers: WorkerSpec[] = Array.from({ length: 30 }, (_, i) => ({
        id: `task-${i}`,
        prompt: `Look into part ${i} of the repository and report what it does.`,
        model: models[i % 3],
        group: models[i % 3],
      }));
      const seen: { tool: string; result: string }[] = [];
      const n = await testNode(scenario(managerScript({ workers, coordinate: true, seen }), workerRoute({})), {
        env: { AGENCY_WORKER_LIMITS: 'haiku=4,sonnet=3,opus=2' },
      });
      defer(() => n.cleanup());
      const run = await n.agency(['run', 'survey the repository with workers', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout);
      await runApproving(n, session);

      const list = JSON.parse((await n.agency(['workers', session, '--json'])).stdout);
      const tasks = list.workers.filter((w: { role: string }) => w.role === 'worker');
      expect(
        tasks,
        JSON.stringify({
          seen,
          requests: n.api.requests.map((r) => [
            r.kind,
            r.turns,
            r.body?.tools?.map?.((t: { name: string }) => t.name).filter((x: string) => x.startsWith('mcp')),
          ]),
        }),
      ).toHaveLength(30);
      expect(tasks.every((w: { state: string }) => w.state === 'done')).toBe(true);
      expect(
        list.workers.filter((w: { role: string; state: string }) => w.role === 'coordinator' && w.state === 'done'),
      ).toHaveLength(3);
      // every worker was a real claude against the API, routed to its model
      const byModel = overlapByModel(n.api.requests);
      expect(Object.keys(byModel).sort()).toEqual(
        ['claude-haiku-4-5-20251001', 'claude-opus-4-8', 'claude-sonnet-5'].sort(),
      );
      expect(byModel['claude-haiku-4-5-20251001']).toBeLessThanOrEqual(4);
      expect(byModel['claude-sonnet-5']).toBeLessThanOrEqual(3);
      expect(byModel['claude-opus-4-8']).toBeLessThanOrEqual(2);

      // the manager's context: the wait answer holds a summary per group, never a worker's raw findings
      const waited = seen.filter((s) => s.tool === 'mcp__agency__wait_workers').at(-1)!;
      const answer = JSON.parse(waited.result);
      expect(answer).toMatchObject({ done: 30, failed: 0, pending: 0 });
      expect(answer.summaries.map((x: { group: string }) => x.group).sort()).toEqual(['haiku', 'opus', 'sonnet']);
      for (const s of answer.summaries) expect(s.text.split(/\s+/).length).toBeLessThanOrEqual(300);
      const managerRequests = n.api.requests.filter(
        (r) => r.kind === 'main' && !workerNameOf(JSON.stringify(r.body?.messages?.[0] ?? '').replace(/\\"/g, '"')),
      );
      for (const r of managerRequests) expect(JSON.stringify(r.body.messages)).not.toMatch(/RAW-task-/);
      // the raw results are kept, in the session's memory bank, for whoever wants them
      const status = JSON.parse((await n.agency(['status', '--json'])).stdout);
      const worktree = status.sessions.find((s: { id: string }) => s.id === session).worktree;
      const kept = execFileSync('ls', [`${worktree}/.context/workers/${answer.run}`]).toString();
      expect(kept.split('\n').filter((f) => /^task-\d+\.md$/.test(f))).toHaveLength(30);
    },
  );
});

describe('write workers and the merge queue', () => {
  it(
    'five write workers on overlapping files: merged oldest first, a conflict resolved by a resolver, no commit lost',
    { timeout: 600_000 },
    async () => {
      const workers: WorkerSpec[] = Array.from({ length: 5 }, (_, i) => ({
        id: `edit-${i}`,
        prompt: `Write notes/${i}.txt${i === 0 || i === 3 ? ' and shared.txt' : ''}.`,
        model: 'haiku',
        write: true,
      }));
      const seen: { tool: string; result: string }[] = [];
      const files = (name: string, prompt: string): Record<string, string> => {
        // the resolver of edit-3 writes shared.txt with both sides
        if (/merge of branch/.test(prompt)) return { 'shared.txt': 'from edit-0\nfrom edit-3\n' };
        const i = Number(name.slice(5));
        return { [`notes/${i}.txt`]: `note ${i}\n`, ...(i === 0 || i === 3 ? { 'shared.txt': `from ${name}\n` } : {}) };
      };
      const n = await testNode(scenario(managerScript({ workers, seen }), workerRoute({ files })));
      defer(() => n.cleanup());
      const run = await n.agency(['run', 'edit files with workers', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout);
      await runApproving(n, session);

      const merges = seen.filter((s) => s.tool === 'mcp__agency__merge_workers').map((s) => JSON.parse(s.result));
      expect(merges[0]).toEqual({
        merged: ['edit-0', 'edit-1', 'edit-2', 'edit-4'],
        conflicts: ['edit-3'],
        decisions: [],
      });
      const listed = (await n.agency(['workers', session, '--json'])).stdout;
      expect(merges[1], listed).toEqual({ merged: ['edit-3.resolve'], conflicts: [], decisions: [] });

      const branch = `agency/${session}`;
      const git = (...a: string[]) => execFileSync('git', a, { cwd: n.repo }).toString();
      expect(git('show', `${branch}:shared.txt`)).toBe('from edit-0\nfrom edit-3\n');
      for (let i = 0; i < 5; i++) expect(git('show', `${branch}:notes/${i}.txt`)).toBe(`note ${i}\n`);
      // the first merge went oldest first: edit-0 before edit-1 before edit-2 before edit-4
      const merged = git('log', '--format=%s', '--first-parent', branch)
        .split('\n')
        .filter((l) => /edit-\d/.test(l));
      expect(merged.map((l) => /edit-\d(\.resolve)?/.exec(l)![0]).reverse()).toEqual([
        'edit-0',
        'edit-1',
        'edit-2',
        'edit-4',
        'edit-3.resolve',
      ]);
      // every commit a worker made is reachable from the session branch or kept under refs/agency/recovered/
      const kept = git('for-each-ref', '--format=%(refname)', 'refs/agency/recovered/').split('\n').filter(Boolean);
      for (const ref of git('for-each-ref', '--format=%(refname)', `refs/heads/agency/workers/${session}/`)
        .split('\n')
        .filter(Boolean))
        for (const c of git('rev-list', ref, `^${branch}~0`, ...kept.map((k) => `^${k}`))
          .split('\n')
          .filter(Boolean))
          throw new Error(`commit ${c} of ${ref} is neither merged nor kept`);
    },
  );
});
