/**
 * A worker's folder, before and after its claude: a pooled worktree on its own branch for a write worker, a
 * folder of its own beside its session's (read-only) worktree otherwise; the context compiled for its
 * discipline into it; its prompt with the result file's instructions. Afterwards: its result read and kept
 * in its session's memory bank, a write worker's leftover changes committed on its branch, and the folder
 * given back (the pool never loses a commit or an uncommitted file).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { compileInto } from '../compiler/index.js';
import { loadRegistryAt, type Registry } from '../registry/index.js';
import { git, gitEnv, gitOut } from '../worktree/git.js';
import { WorktreePool } from '../worktree/pool.js';
import { workerBranch } from '../protocol/worker-branch.js';
import { coordinatorPrompt } from './coordinator.js';
import { keepResult } from './kept-results.js';
import type { DispatchHost, SessionView, WorkerSandbox } from './host.js';
import { readResult, RESULT_FILE, resultInstructions } from './results.js';
import type { WorkerRecord } from './worker-table.js';

export interface Prepared {
  cwd: string;
  prompt: string;
  addDirs: string[];
  extraArgs: string[];
  /** absolute path of its result file; null for a coordinator (its reply is its result) */
  resultFile: string | null;
}

export class Launcher {
  private readonly pools = new Map<string, Promise<WorktreePool>>();
  private readonly registries = new Map<string, Registry>();

  constructor(private readonly host: DispatchHost) {}

  registry(s: SessionView): Registry {
    const org = s.registry ? null : this.host.orgRegistry?.();
    if (org) return org;
    const dir = s.registry ?? this.host.registryDir;
    let r = this.registries.get(dir);
    if (!r) this.registries.set(dir, (r = loadRegistryAt(dir, this.host.registryDir)));
    return r;
  }

  pool(repo: string): Promise<WorktreePool> {
    const known = this.pools.get(repo);
    if (known) return known;
    const tag = createHash('sha1').update(repo).digest('hex').slice(0, 8);
    const dir = join(this.host.home, 'pool', `${basename(repo).replace(/[^A-Za-z0-9._-]/g, '_')}-${tag}`);
    const p = WorktreePool.open({ repo, dir, env: this.host.env });
    p.catch(() => this.pools.delete(repo));
    this.pools.set(repo, p);
    return p;
  }

  /** Makes the worker's folder ready and returns how to start its claude. */
  async prepare(
    w: WorkerRecord,
    s: SessionView,
    coordinatorInput?: { name: string; text: string }[],
  ): Promise<Prepared> {
    const claimed: { path: string | null } = { path: null };
    try {
      return await this.prepareIn(w, s, claimed, coordinatorInput);
    } catch (e) {
      // a worktree claimed for it goes back to the pool (its work kept), not left busy
      if (claimed.path) await (await this.pool(s.repo)).release(claimed.path).catch(() => undefined);
      throw e;
    }
  }

  private async prepareIn(
    w: WorkerRecord,
    s: SessionView,
    claimed: { path: string | null },
    coordinatorInput?: { name: string; text: string }[],
  ): Promise<Prepared> {
    const tmpDir = this.host.tmpDir(w.id);
    let cwd: string;
    let sandbox: WorkerSandbox;
    const addDirs: string[] = [];
    if (w.write) {
      const pool = await this.pool(s.repo);
      const base = (
        await gitOut(s.worktree, ['rev-parse', '--verify', 'HEAD^{commit}'], { env: gitEnv(this.host.env) })
      ).trim();
      cwd = (await pool.claim({ branch: w.branch!, base, ...(w.paths ? { paths: w.paths } : {}) })).path;
      claimed.path = cwd;
      sandbox = { tmpDir };
      // a resolver finds the merge it is to finish already begun, its conflicts marked in the files
      if (w.role === 'resolver' && w.resolves) await this.beginMerge(cwd, workerBranch(w.session, w.resolves));
    } else {
      cwd = join(this.host.home, 'workers', w.id);
      rmSync(cwd, { recursive: true, force: true });
      mkdirSync(cwd, { recursive: true, mode: 0o700 });
      sandbox = { tmpDir, readDirs: [s.worktree], readOnlyDirs: [s.worktree] };
      if (w.role !== 'coordinator') addDirs.push(s.worktree);
    }
    const resultFile = w.role === 'coordinator' ? null : join(cwd, RESULT_FILE);
    const prompt =
      w.role === 'coordinator'
        ? coordinatorPrompt(w.group, coordinatorInput ?? [])
        : `${w.prompt}\n\n---\n${this.briefing(w, s)}\n\n${resultInstructions(resultFile!)}`;
    compileInto(
      cwd,
      this.registry(s),
      { discipline: w.discipline, task: prompt },
      { ...this.host.compileOptions(w.id, sandbox), force: true },
    );
    if (resultFile) rmSync(resultFile, { force: true });
    // the local settings (allow rules, sandbox, key helper) also as --settings: applied whether or not Claude
    // Code trusts the folder (a read-only worker's is no repository at all). A coordinator reads what it is
    // given and nothing else: no tools, no MCP servers.
    const settings = ['--settings', join(cwd, '.claude', 'settings.local.json')];
    const extraArgs =
      w.role === 'coordinator'
        ? [...settings, '--tools', '', '--strict-mcp-config']
        : [...settings, '--permission-mode', 'acceptEdits'];
    return { cwd, prompt, addDirs, extraArgs, resultFile };
  }

  private briefing(w: WorkerRecord, s: SessionView): string {
    const who = `You are worker "${w.name}", one of the workers session ${s.id} sent out in parallel; keep to your own task.`;
    if (w.role === 'resolver')
      return `${who} You work in a git worktree of your own, on branch ${w.branch}; agency commits the merge there when you finish.`;
    if (w.write)
      return `${who} You work in a git worktree of your own, on branch ${w.branch}, which starts from the session's branch. Commit your changes there (git add, git commit) before you finish: the session merges your branch into its own.`;
    return `${who} The session's worktree is at ${s.worktree}: read what you need there. It is read-only to you; change nothing in it.`;
  }

  /**
   * After the worker's claude has ended: its result (done only with the DONE line), kept in the session's
   * memory bank; a write worker's uncommitted changes committed on its branch; the folder given back.
   */
  async finish(
    w: WorkerRecord,
    s: SessionView | null,
    p: Pick<Prepared, 'cwd' | 'resultFile'>,
  ): Promise<{ done: boolean; text: string; problem: string | null; recovered: string | null }> {
    let result = { done: false, text: '', problem: null as string | null };
    if (p.resultFile) {
      const r = readResult(p.resultFile);
      result = { done: r.done, text: r.text, problem: r.problem };
      if (s && r.text) {
        try {
          keepResult(s.worktree, w.run, w.name, r.done ? `${r.text}\nDONE\n` : r.text);
        } catch (e) {
          this.host.warn(
            `worker ${w.id}: its result was not kept in session ${s.id}'s memory bank: ${(e as Error).message}`,
          );
        }
      }
    }
    let recovered: string | null = null;
    if (w.write) {
      const pool = s ? await this.pool(s.repo) : null;
      pool?.anchor(p.cwd);
      const problem = await this.commitLeftovers(w, p.cwd);
      if (problem) result = { ...result, done: false, problem };
      if (pool) recovered = (await pool.release(p.cwd, { message: `agency: what worker ${w.name} left` })).recovered;
    } else {
      rmSync(p.cwd, { recursive: true, force: true });
    }
    this.host.removeTmpDir(w.id);
    return { ...result, recovered };
  }

  private async beginMerge(cwd: string, branch: string): Promise<void> {
    const env = gitEnv(this.host.env);
    const git = plainGit;
    if ((await git(cwd, ['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { env })).code === 0) return;
    // exit 1 is the conflict the resolver is for; anything else (no such branch) is a failure to prepare
    const r = await git(cwd, ['merge', '--no-ff', '--no-commit', branch], { env });
    if (r.code > 1) throw new Error(`git merge ${branch} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  }

  /**
   * A write worker's changes it did not commit go onto its branch, so that the merge queue takes them (a
   * resolver's, as the merge it finished). Files still holding conflict markers are not committed: the
   * merge is given up and the worker has not done its task.
   */
  private async commitLeftovers(w: WorkerRecord, cwd: string): Promise<string | null> {
    const env = gitEnv(this.host.env);
    const git = plainGit;
    const unmerged = (await git(cwd, ['diff', '--name-only', '--diff-filter=U'], { env })).stdout
      .split('\n')
      .filter(Boolean);
    const marked = unmerged.filter((f) => hasConflictMarkers(join(cwd, f)));
    if (marked.length) {
      await git(cwd, ['merge', '--abort'], { env });
      return `conflict markers are still in ${marked.slice(0, 5).join(', ')}`;
    }
    const status = await git(cwd, ['status', '--porcelain'], { env });
    const merging = (await git(cwd, ['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { env })).code === 0;
    if (status.code !== 0 || (status.stdout.trim() === '' && !merging)) return null;
    await git(cwd, ['add', '-A'], { env });
    const c = await git(
      cwd,
      ['commit', '--quiet', '--no-verify', '-m', `Work of worker ${w.name} it left uncommitted`],
      {
        env,
      },
    );
    // not done then: its work is kept on a recovery ref by the pool, and the merge queue would not see it
    if (c.code !== 0)
      return `its uncommitted changes could not be committed (${(c.stderr || c.stdout).trim().split('\n')[0]})`;
    return null;
  }
}

/** Whether a file still has a line git writes to mark a conflict. */
function hasConflictMarkers(file: string): boolean {
  try {
    return /^(<{7}|>{7})( |$)|^={7}$/m.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * git as the node runs it in a worker's worktree (after the pool has anchored its `.git`): none of the
 * repository's hooks or file-system monitor, which the worker could have set up to run outside its sandbox.
 */
function plainGit(cwd: string, args: string[], o: Parameters<typeof git>[2] = {}) {
  return git(cwd, ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args], o);
}
