/**
 * A warm pool of git worktrees for workers. Worktrees are made ahead (`fill`), claimed by switching
 * branches in one that is ready (much cheaper than `git worktree add` on a large repository), and given
 * back clean, their uncommitted work kept on a recovery ref first. Adds and removals take turns per
 * repository (repo-lock.ts); claims and releases of one branch take turns in the pool. Branches are never
 * deleted here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { repoRootOf, WorktreeError } from './create.js';
import { git, gitEnv, resolveRef } from './git.js';
import {
  addTree,
  commitsOf,
  gitDirOf,
  isIdleShape,
  listWorktrees,
  populate,
  removeTree,
  run,
  settle,
} from './pool-tree.js';
import { commonDirOf, inTurn, withRepoLock, type Turns } from './repo-lock.js';
import { dropLimits, isSparse, limitTo, sparsePatterns } from './sparse.js';

export interface PoolOptions {
  /** the repository the worktrees link to: a main checkout, or a bare mirror */
  repo: string;
  /** a folder the pool owns for its worktrees (made 0700 if missing) */
  dir: string;
  env?: NodeJS.ProcessEnv;
}

export interface Claimed {
  /** realpath of the worktree */
  path: string;
  branch: string;
  /** the commit checked out */
  head: string;
  /** the branch already existed (a worker resumed after a restart, or a resolver) and was taken as it was */
  resumed: boolean;
}

type State = 'idle' | 'claiming' | 'busy' | 'releasing' | 'removing';

interface Entry {
  path: string;
  gitDir: string;
  state: State;
  /** the branch it was claimed for */
  branch: string | null;
  /** its files are checked out (a worktree found half-made after a restart is not) */
  populated: boolean;
  /** the commit checked out, as the pool left it */
  head: string | null;
}

interface Repo {
  root: string;
  common: string;
  dir: string;
}

const canonical = (p: string) => (existsSync(p) ? realpathSync(p) : p);

export class WorktreePool {
  private readonly entries = new Map<string, Entry>();
  /** claims and releases of one branch take turns */
  private readonly branchTurns: Turns = new Map();
  private readonly env: NodeJS.ProcessEnv;
  private repo: Promise<Repo> | null = null;
  /** worktrees being made for fill, not yet idle */
  private making = 0;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly o: PoolOptions) {
    this.env = gitEnv(o.env ?? process.env);
  }

  /** adopts what is already in dir (after a node restart): clean detached worktrees are idle; ones on a branch are busy */
  static async open(o: PoolOptions): Promise<WorktreePool> {
    const pool = new WorktreePool(o);
    await pool.adopt();
    return pool;
  }

  idle(): number {
    return [...this.entries.values()].filter((e) => e.state === 'idle').length;
  }

  busy(): number {
    return [...this.entries.values()].filter(
      (e) => e.state === 'claiming' || e.state === 'busy' || e.state === 'releasing',
    ).length;
  }

  /** keeps n idle worktrees ready (adds serialised per repository); cheap when they are there */
  async fill(n: number): Promise<void> {
    const r = await this.setup();
    const want = n - this.idle() - this.making;
    if (want <= 0) return;
    const head = await resolveRef(r.root, 'HEAD');
    if (head === null)
      throw new WorktreeError(`${r.root} has no commit at HEAD to make worktrees from; commit something first`);
    this.making += want;
    const made = Array.from({ length: want }, () =>
      this.track(
        (async () => {
          try {
            const e = await this.make(r, head);
            await populate(e.path, this.env).catch(async (err) => {
              await removeTree(r.root, r.common, e.path, { force: true, env: this.env });
              throw err;
            });
            e.populated = true;
            e.state = 'idle';
            this.entries.set(e.path, e);
          } finally {
            this.making--;
          }
        })(),
      ),
    );
    const results = await Promise.allSettled(made);
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * An idle worktree (made if none is idle) switched to `branch`: created at `base` if the branch does not
   * exist, else checked out as it is. If `branch` is already checked out in one of the pool's worktrees,
   * that worktree is returned (resumed). `paths`: a sparse checkout limited to those repository paths (and
   * the files at the top of the repository); the whole tree without.
   */
  async claim(o: { branch: string; base: string; paths?: string[] }): Promise<Claimed> {
    // claims of one branch are served in the order they were made
    return inTurn(this.branchTurns, o.branch, async () => {
      const r = await this.setup();
      await this.checkBranchName(r, o.branch);
      const paths = o.paths && o.paths.length > 0 ? o.paths : null;
      if (paths) sparsePatterns(paths); // refuses a bad path before anything is done
      const ref = `refs/heads/${o.branch}`;
      const plausible = !o.base.startsWith('-') && !/[\0\n\r]/.test(o.base) && o.base.trim() !== '';
      const [base = null, tip = null] = plausible ? await commitsOf(r.root, [o.base, ref], this.env) : [null, null];
      if (!base)
        throw new WorktreeError(`the base ${JSON.stringify(o.base)} of ${o.branch} is not a commit in ${r.root}`);
      if (tip !== null) {
        const at = (await listWorktrees(r.root, this.env)).find((w) => w.branch === ref);
        if (at) {
          const e = this.entries.get(canonical(at.path));
          if (!e || e.state !== 'busy')
            throw new WorktreeError(
              `${o.branch} is checked out in ${at.path}, which is not a worktree of the pool in ${r.dir}; switch that checkout to another branch first`,
            );
          e.branch = o.branch;
          return { path: e.path, branch: o.branch, head: at.head ?? tip, resumed: true };
        }
      }
      const target = tip ?? base;
      let e = this.pick(paths !== null);
      const fresh = !e;
      if (e) e.state = 'claiming';
      else e = await this.make(r, target);
      try {
        await this.switchTo(e, o.branch, target, tip !== null, paths);
      } catch (err) {
        await this.giveBack(r, e, fresh);
        throw err;
      }
      e.state = 'busy';
      e.branch = o.branch;
      this.entries.set(e.path, e);
      return { path: e.path, branch: o.branch, head: target, resumed: tip !== null };
    });
  }

  /**
   * Gives a claimed worktree back: uncommitted work is committed onto a recovery ref first (returned), then
   * the worktree is detached, cleaned, and idle again; a sparse one is removed instead (its branch stays).
   * Giving back an idle worktree does nothing.
   */
  /**
   * Points a claimed worktree's `.git` back at its own administrative folder. What ran in it (a worker) may
   * have rewritten that file to send git elsewhere, into a repository whose config runs programs; git run
   * there by the node afterwards must be the pool's own. Called before any such git.
   */
  anchor(path: string): void {
    const e = this.entries.get(canonical(path));
    if (!e) throw new WorktreeError(`${path} is not a worktree of the pool`);
    const link = join(e.path, '.git');
    const want = `gitdir: ${e.gitDir}\n`;
    let ok: boolean;
    try {
      ok = lstatSync(link).isFile() && readFileSync(link, 'utf8') === want;
    } catch {
      ok = false;
    }
    if (ok) return;
    rmSync(link, { recursive: true, force: true });
    writeFileSync(link, want);
  }

  async release(path: string, o: { message?: string } = {}): Promise<{ recovered: string | null }> {
    const e = this.entries.get(canonical(path));
    if (!e) {
      const r = await this.setup();
      throw new WorktreeError(
        `${path} is not a worktree of the pool in ${r.dir}; give back the path that claim returned`,
      );
    }
    return inTurn(this.branchTurns, e.branch ?? e.path, async () => {
      const r = await this.setup();
      if (e.state === 'idle') return { recovered: null };
      if (existsSync(e.path)) this.anchor(e.path);
      if (e.state !== 'busy') throw new WorktreeError(`${e.path} is being ${e.state.replace(/ing$/, 'ed')} now`);
      if (!existsSync(e.path)) {
        // its folder was removed behind the pool's back: nothing is left there to keep
        this.entries.delete(e.path);
        await withRepoLock(r.common, () => git(r.root, ['worktree', 'prune'], { env: this.env }));
        return { recovered: null };
      }
      e.state = 'releasing';
      try {
        return { recovered: await this.putBack(r, e, e.branch ?? `pool-${e.path.split(sep).pop()}`, o.message) };
      } catch (err) {
        e.state = 'busy';
        throw err;
      }
    });
  }

  /** removes the idle worktrees (git worktree remove), never a busy one; branches stay */
  async drain(): Promise<void> {
    const r = await this.setup();
    await Promise.allSettled([...this.inflight]);
    const kept: string[] = [];
    for (const e of [...this.entries.values()].filter((x) => x.state === 'idle')) {
      e.state = 'removing';
      try {
        await removeTree(r.root, r.common, e.path, { force: false, env: this.env });
        this.entries.delete(e.path);
      } catch (err) {
        e.state = 'idle';
        kept.push((err as Error).message);
      }
    }
    if (kept.length > 0) throw new WorktreeError(`some idle worktrees stay: ${kept.join('; ')}`);
  }

  private setup(): Promise<Repo> {
    this.repo ??= (async () => {
      const root = await repoRootOf(this.o.repo);
      const common = await commonDirOf(root, this.env);
      mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
      return { root, common, dir: realpathSync(this.o.dir) };
    })();
    // a failure (a folder that is not a repository) is not remembered: the next call asks again
    this.repo.catch(() => (this.repo = null));
    return this.repo;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private async checkBranchName(r: Repo, branch: string): Promise<void> {
    const ok =
      branch !== '' &&
      !branch.startsWith('-') &&
      branch !== 'HEAD' &&
      (await git(r.root, ['check-ref-format', `refs/heads/${branch}`], { env: this.env })).code === 0;
    if (!ok)
      throw new WorktreeError(
        `${JSON.stringify(branch)} is not a branch name git accepts (see git check-ref-format); name it like agency/<session>/w-<name>`,
      );
  }

  /**
   * An idle worktree for a claim: one with every file checked out, if there is one. Not for a sparse
   * claim: taking files away from a whole checkout costs about as much as checking them out, so a sparse
   * claim takes one with nothing checked out yet (found after a restart) or gets a new one, which checks out
   * only its paths.
   */
  private pick(sparse: boolean): Entry | undefined {
    const idle = [...this.entries.values()].filter((x) => x.state === 'idle');
    return sparse ? idle.find((x) => !x.populated) : (idle.find((x) => x.populated) ?? idle[0]);
  }

  /** A new worktree in the pool's folder, detached at commit, not yet checked out and not yet in the table. */
  private async make(r: Repo, commit: string): Promise<Entry> {
    const path = join(r.dir, `w-${randomBytes(4).toString('hex')}`);
    const gitDir = await addTree(r.root, r.common, path, commit, this.env);
    return { path: realpathSync(path), gitDir, state: 'claiming', branch: null, populated: false, head: commit };
  }

  private async switchTo(
    e: Entry,
    branch: string,
    target: string,
    exists: boolean,
    paths: string[] | null,
  ): Promise<void> {
    if (paths) await limitTo(e.path, e.gitDir, paths, this.env);
    if (!e.populated) {
      // made at target (or found half-made after a restart): check out HEAD's files, within paths
      await populate(e.path, this.env);
      e.populated = true;
    } else if (paths) {
      // a checkout to the same commit changes no file: apply the new sparse patterns to HEAD's files
      await run(e.path, ['checkout', '--quiet', '--detach', target], this.env);
      await populate(e.path, this.env);
      e.head = target;
    }
    if (e.head === target) {
      // the files are already target's: only HEAD moves, without git reading the whole index (the empty
      // old value makes update-ref refuse a branch made meanwhile)
      if (!exists)
        await run(
          e.path,
          ['update-ref', '-m', `branch: Created from ${target}`, `refs/heads/${branch}`, target, ''],
          this.env,
        );
      await run(
        e.path,
        ['symbolic-ref', '-m', `agency: claimed for ${branch}`, 'HEAD', `refs/heads/${branch}`],
        this.env,
      );
    } else if (exists) await run(e.path, ['switch', '--quiet', '--no-guess', branch], this.env);
    else await run(e.path, ['switch', '--quiet', '--no-track', '--create', branch, target], this.env);
    e.head = target;
  }

  /**
   * Keeps a given-back worktree's work, then makes it idle again; a sparse one is removed instead, since
   * checking out every file again costs as much as a new worktree (more, on a slow disk).
   */
  private async putBack(r: Repo, e: Entry, label: string, message?: string): Promise<string | null> {
    const sparse = isSparse(e.gitDir);
    const { recovered, head } = await settle(e, label, { message, env: this.env, tidy: !sparse });
    if (sparse) {
      await removeTree(r.root, r.common, e.path, { force: true, env: this.env });
      this.entries.delete(e.path);
    } else {
      e.head = head;
      e.state = 'idle';
      e.branch = null;
    }
    return recovered;
  }

  /** After a failed claim: a worktree made for it, or a sparse one, goes; one taken whole from the idle ones is idle again. */
  private async giveBack(r: Repo, e: Entry, fresh: boolean): Promise<void> {
    const drop = async () => {
      this.entries.delete(e.path);
      await removeTree(r.root, r.common, e.path, { force: true, env: this.env }).catch(() => undefined);
    };
    if (fresh || !e.populated || isSparse(e.gitDir)) return drop();
    try {
      e.head = (await settle(e, `pool-${e.path.split(sep).pop()}`, { env: this.env })).head;
      e.state = 'idle';
      e.branch = null;
    } catch {
      await drop();
    }
  }

  /** Takes in the worktrees git lists in the pool's folder (after a restart). */
  private async adopt(): Promise<void> {
    const r = await this.setup();
    const inside = (p: string) => p.startsWith(r.dir + sep);
    const listed = (await listWorktrees(r.root, this.env)).filter((w) => inside(canonical(w.path)));
    if (listed.some((w) => w.prunable))
      await withRepoLock(r.common, () => git(r.root, ['worktree', 'prune'], { env: this.env }));
    for (const w of listed.filter((x) => !x.prunable)) {
      const path = realpathSync(w.path);
      const gitDir = await gitDirOf(path, this.env);
      const e: Entry = { path, gitDir, state: 'busy', branch: null, populated: true, head: w.head };
      if (w.branch !== null) e.branch = w.branch.replace(/^refs\/heads\//, '');
      else if (!existsSync(join(gitDir, 'index'))) {
        // made, not yet checked out: whatever sparse patterns a claim cut short had set go
        await dropLimits(path, gitDir, this.env);
        e.populated = false;
        e.state = 'idle';
      } else if (await isIdleShape(path, gitDir, this.env)) e.state = 'idle';
      else {
        // left mid-release: keep what is there, then it is idle like the others (or removed, if sparse)
        this.entries.set(path, e);
        await this.putBack(r, e, `pool-${path.split(sep).pop()}`);
        continue;
      }
      this.entries.set(path, e);
    }
  }
}
