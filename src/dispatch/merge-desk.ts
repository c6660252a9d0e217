/**
 * What happens to workers' results: a coordinator per group once the group has ended (for a coordinated
 * run), and the merge queue for write workers' branches. A branch that conflicts goes back to a new worker
 * (a resolver) with the conflict in its task; a resolver's that still conflicts becomes an operator's
 * decision. Nothing here deletes a branch: merged, or kept.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isWorkerLive, type Decision, type MergeWorkersResult } from '../protocol/messages.js';
import { recoveredWorkerRef, workerNameOf } from '../protocol/worker-branch.js';
import { git, gitEnv } from '../worktree/git.js';
import type { Asked, DispatchHost, SessionView } from './host.js';
import type { Launcher } from './launch.js';
import { readKept } from './kept-results.js';
import { runMergeQueue, type CheckSpec } from './merge-queue.js';
import { readResult, RESULT_FILE } from './results.js';
import type { NewWorker, RunRecord, WorkerRecord, WorkerTable } from './worker-table.js';

/** What the operator's answer to a merge decision carries. */
interface MergeQuestion {
  run: string;
  worker: string;
  branch: string;
  files: string[];
}

export class MergeDesk {
  constructor(
    private readonly host: DispatchHost,
    private readonly table: WorkerTable,
    private readonly launcher: Launcher,
    private readonly enqueue: (w: NewWorker) => WorkerRecord,
  ) {}

  /** A worker's result as its session keeps it (or as it is being written), bounded. */
  resultText(w: WorkerRecord): string | null {
    const s = this.host.session(w.session);
    const kept = s ? readKept(s.worktree, w.run, w.name) : null;
    if (kept !== null) return kept;
    // one still at work: its own result file, as far as it has written it
    if (isWorkerLive(w) && w.cwd && existsSync(join(w.cwd, RESULT_FILE)))
      return readResult(join(w.cwd, RESULT_FILE)).text;
    if (w.role === 'coordinator') return w.sentence;
    return null;
  }

  /** What a group's coordinator reads: its group's finished results, by worker name. */
  groupResults(coordinator: WorkerRecord): { name: string; text: string }[] {
    const s = this.host.session(coordinator.session);
    if (!s) return [];
    return this.table
      .ofRun(coordinator.run)
      .filter((w) => w.group === coordinator.group && w.role !== 'coordinator' && w.state === 'done')
      .map((w) => ({ name: w.name, text: this.resultText(w) ?? w.sentence ?? '' }));
  }

  /** A worker has ended: in a coordinated run, its group's coordinator starts once the whole group has. */
  workerEnded(w: WorkerRecord): void {
    const run = this.table.runs.get(w.run);
    // a resolver that could not bring its branch in leaves the branch to the operator
    if (run && w.role === 'resolver' && w.state !== 'done' && w.resolves) {
      const original = this.table.ofRun(run.id).find((x) => x.name === w.resolves && x.branch);
      const s = this.host.session(w.session);
      if (original && s) {
        const decision = this.ask(s, run, original, [], null, w.reason ?? 'it failed');
        run.decisions.push(decision.id);
        this.table.schedule();
      }
      return;
    }
    if (!run?.coordinate || w.role === 'coordinator') return;
    const group = this.table.ofRun(run.id).filter((x) => x.group === w.group);
    if (group.some((x) => x.role === 'coordinator')) return;
    const tasks = group.filter((x) => x.role !== 'coordinator');
    if (tasks.some((x) => isWorkerLive(x)) || !tasks.some((x) => x.state === 'done')) return;
    this.enqueue({
      name: `${w.group.replace(/[^A-Za-z0-9._-]/g, '-')}.coordinator`,
      session: w.session,
      run: run.id,
      group: w.group,
      role: 'coordinator',
      model: 'haiku',
      write: false,
      discipline: w.discipline,
      prompt: `Sum up the results of group ${w.group} (${tasks.length} workers) in at most 300 words`,
      paths: null,
      resolves: null,
    });
  }

  /** One thing at a time in a session's worktree: its merges, and the operator's answers to its questions. */
  private readonly turns = new Map<string, Promise<unknown>>();
  private inTurn<T>(session: string, f: () => Promise<T>): Promise<T> {
    const next = (this.turns.get(session) ?? Promise.resolve()).then(f, f);
    this.turns.set(
      session,
      next.catch(() => undefined),
    );
    return next;
  }

  /** The run's finished write workers' branches into the session's branch, oldest first (merge_workers). */
  merge(run: RunRecord, s: SessionView): Promise<MergeWorkersResult> {
    return this.inTurn(s.id, () => this.mergeNow(run, s));
  }

  private async mergeNow(run: RunRecord, s: SessionView): Promise<MergeWorkersResult> {
    const handled = new Set([...run.merged, ...run.sentBack]);
    const ready = this.table
      .ofRun(run.id)
      .filter((w) => w.write && w.state === 'done' && w.branch && !handled.has(w.name));
    const result: MergeWorkersResult = { merged: [], conflicts: [], decisions: [] };
    if (ready.length === 0) return result;
    const d = this.launcher.registry(s).disciplines.get(s.discipline)?.value;
    const check: CheckSpec | null = d?.check
      ? { command: d.check, sandbox: this.host.sandbox, env: this.host.env }
      : null;
    const out = await runMergeQueue({
      worktree: s.worktree,
      branch: s.branch,
      items: ready.map((w) => ({ id: w.name, branch: w.branch!, order: w.order })),
      check,
      env: this.host.env,
    });
    run.merged.push(...out.merged, ...out.already);
    result.merged.push(...out.merged, ...out.already);
    const trouble = [
      ...out.conflicts.map((c) => ({ ...c, why: { files: c.files, output: null as string | null } })),
      ...out.failedChecks.map((c) => ({ ...c, why: { files: [] as string[], output: c.output } })),
    ];
    for (const t of trouble) {
      const w = ready.find((x) => x.name === t.id)!;
      if (w.role === 'resolver') {
        const decision = this.ask(s, run, w, t.why.files, t.why.output);
        run.decisions.push(decision.id);
        result.decisions.push(decision.id);
        run.sentBack.push(w.name);
        continue;
      }
      this.sendBack(run, s, w, t.why.files, t.why.output, check?.command ?? null);
      run.sentBack.push(w.name);
      result.conflicts.push(w.name);
    }
    this.table.schedule();
    return result;
  }

  /** A new write worker that brings the branch in by hand: its branch starts at the session's head. */
  private sendBack(
    run: RunRecord,
    s: SessionView,
    w: WorkerRecord,
    files: string[],
    output: string | null,
    check: string | null,
  ): void {
    const taken = new Set(this.table.ofSession(s.id).map((x) => x.name));
    // a name the session could give too, and a branch git takes: room for the suffix, no trailing dot
    const base = w.name.slice(0, 48).replace(/\.+$/, '');
    let name = `${base}.resolve`;
    for (let i = 2; taken.has(name); i++) {
      if (i > 99) throw new Error(`worker ${w.name} has been sent back too often`);
      name = `${base}.resolve${i}`;
    }
    const problem = output
      ? `After it is merged, the check \`${check}\` fails:\n\n\`\`\`\n${output.slice(-4000)}\n\`\`\`\n\nMake the check pass.`
      : `It conflicts with the session's branch in: ${files.slice(0, 50).join(', ')}${files.length > 50 ? ` and ${files.length - 50} more` : ''}. Resolve each conflict in those files (their conflict markers show both sides) so that both sides' intent holds, and leave no marker.`;
    this.enqueue({
      name,
      session: s.id,
      run: run.id,
      group: w.group,
      role: 'resolver',
      model: w.model,
      modelId: w.modelId ?? null,
      write: true,
      discipline: w.discipline,
      prompt:
        `The merge of branch ${w.branch} (worker ${w.name}'s work) into your branch is under way in your worktree. ${problem} ` +
        `agency commits the merge when you are done. Worker ${w.name}'s task was:\n\n${w.prompt}`,
      paths: null,
      resolves: w.name,
    });
  }

  private ask(
    s: SessionView,
    run: RunRecord,
    w: WorkerRecord,
    files: string[],
    output: string | null,
    resolverFailed: string | null = null,
  ): Decision {
    const input: MergeQuestion = { run: run.id, worker: w.name, branch: w.branch!, files };
    const what = resolverFailed
      ? `could not be brought in: its resolver failed (${resolverFailed})`
      : output
        ? 'still fails the check after a resolver tried'
        : `still conflicts in ${files.slice(0, 5).join(', ')}${files.length > 5 ? '…' : ''} after a resolver tried`;
    const asked = this.host.ask({
      session: s.id,
      tool: 'merge',
      summary: `merge ${w.branch} into ${s.branch}: it ${what}; approve takes its side of each conflict, deny keeps it unmerged`,
      input,
    });
    this.await(asked);
    return asked.decision;
  }

  /** Carries out the operator's answer to a merge question when it comes (also for one asked before a restart). */
  await(a: Asked): void {
    void a.answer.then(async (answer) => {
      const s = this.host.session(a.decision.session);
      if (s) await this.inTurn(s.id, () => this.answered(a.decision, answer.approve, s));
    });
  }

  /** The operator's answer: approve merges the branch taking its side of each conflict; deny keeps it under refs/agency/recovered/. */
  private async answered(d: Decision, approve: boolean, s: SessionView): Promise<void> {
    const q = d.input as Partial<MergeQuestion>;
    const name = typeof q?.branch === 'string' ? workerNameOf(s.id, q.branch) : null;
    if (!name || !q.branch) return;
    const env = gitEnv(this.host.env);
    if (approve) {
      const r = await git(
        s.worktree,
        [
          'merge',
          '--no-ff',
          '--no-edit',
          '-X',
          'theirs',
          '-m',
          `Merge ${q.branch} (the operator took its side)`,
          q.branch,
        ],
        { env },
      );
      if (r.code !== 0) {
        await git(s.worktree, ['merge', '--abort'], { env });
        this.host.warn(
          `the merge of ${q.branch} into ${s.branch} failed even taking its side; the branch is kept as it is`,
        );
        return;
      }
      const run = q.run ? this.table.runs.get(q.run) : undefined;
      if (run && q.worker) run.merged.push(q.worker);
      this.table.schedule();
    } else {
      await git(s.worktree, ['update-ref', recoveredWorkerRef(s.id, name), q.branch], { env });
    }
  }
}
