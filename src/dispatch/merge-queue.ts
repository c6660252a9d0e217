/**
 * A session's merge queue: its write workers' branches brought into the session's branch, oldest first.
 * Each is first merged in the object store against the session's head as it then is (`git merge-tree
 * --write-tree`): a conflict, or a merge that would overwrite a change the session has not committed, is
 * reported with its files and changes nothing. The clean ones become merge commits that name their worker
 * (or a fast-forward), one on top of the other; the session's branch and worktree then move to the last.
 *
 * The discipline's check runs once for the whole batch (mode `batch`). When it fails, the culprit is found
 * by bisection over the batch's prefixes, each of which is already a commit of the chain: the smallest
 * prefix that fails ends with the culprit, which is taken out; the branches after it are merged again onto
 * the prefix before it and checked as a batch of their own. One bad branch among n costs about log2(n) + 2
 * checks, not n. The session's own commits are never undone: the branch only moves between the head it had
 * and agency's merge commits on top of it. Mode `each` checks after every merge instead.
 */
import { RemoteError } from '../protocol/connection.js';
import { mergeTree } from '../worktree/merge.js';
import { runCheck, sandboxReady, type CheckResult } from './check-run.js';
import {
  changes,
  commitMerge,
  compiledIn,
  gitDirsOf,
  mergeBase,
  moveTo,
  overwritten,
  queueEnv,
  sessionHead,
  tipsOf,
  undoCheckWrites,
  worktreeStatus,
  type Checkout,
} from './queue-git.js';

export interface MergeItem {
  /** the worker's name (as its session gave it) */
  id: string;
  branch: string;
  /** spawn order: the queue takes the oldest (lowest) first */
  order: number;
}
export interface CheckSpec {
  /** the discipline's check command (a shell command line, e.g. `npm test`) */
  command: string;
  /** run it inside the OS sandbox (false only where the node's operator opted the node out) */
  sandbox: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}
export interface MergeConflict {
  id: string;
  branch: string;
  /** the files in conflict, or the session's uncommitted files the merge would overwrite */
  files: string[];
  /** why it was not merged, in a sentence */
  reason: string;
}
export interface MergeOutcome {
  /** ids merged into the session branch, in the order merged */
  merged: string[];
  /** not merged: `git merge-tree --write-tree` found conflicts against the session branch as it then was; nothing changed for them */
  conflicts: MergeConflict[];
  /** merged cleanly but the check failed with them: taken back out (the session branch does not keep them) */
  failedChecks: { id: string; branch: string; output: string }[];
  /** items with nothing to merge (already in the session branch) */
  already: string[];
  /** the session branch's head after the queue ran */
  head: string;
  /** how many times the check command ran */
  checks: number;
}

/** One clean item of a batch: the commit the session's head is once it is merged. */
interface Link {
  item: MergeItem;
  commit: string;
}

const list = (paths: string[], max = 10) =>
  paths
    .slice(0, max)
    .map((p) => JSON.stringify(p))
    .join(', ') + (paths.length > max ? ` and ${paths.length - max} more` : '');

/** Runs of one worktree's queue, one at a time. */
const running = new Map<string, Promise<unknown>>();

export async function runMergeQueue(o: {
  /** the session's worktree, with the session branch checked out */
  worktree: string;
  branch: string;
  items: MergeItem[];
  check?: CheckSpec | null;
  /** `batch` (default): merge all clean ones, check once, bisect on failure; `each`: check after every merge */
  mode?: 'batch' | 'each';
  env?: NodeJS.ProcessEnv;
}): Promise<MergeOutcome> {
  const before = running.get(o.worktree) ?? Promise.resolve();
  const run = before.catch(() => {}).then(() => new Queue(o).run());
  running.set(o.worktree, run);
  try {
    return await run;
  } finally {
    if (running.get(o.worktree) === run) running.delete(o.worktree);
  }
}

class Queue {
  private c!: Checkout;
  private readonly out: MergeOutcome = {
    merged: [],
    conflicts: [],
    failedChecks: [],
    already: [],
    head: '',
    checks: 0,
  };
  /** where the queue has put the session's branch */
  private head = '';
  /** the session's uncommitted changes when the queue began: never overwritten, kept out of the check's reach */
  private dirty = new Map<string, string>();
  private gitDirs: string[] = [];
  /** each item's branch's commit, read once when the queue starts */
  private tips = new Map<string, string>();
  /** the session's compiled context files there were when the queue began */
  private compiled: string[] = [];

  constructor(
    private readonly o: {
      worktree: string;
      branch: string;
      items: MergeItem[];
      check?: CheckSpec | null;
      mode?: 'batch' | 'each';
      env?: NodeJS.ProcessEnv;
    },
  ) {}

  async run(): Promise<MergeOutcome> {
    const { o } = this;
    if (o.check) sandboxReady(o.check);
    this.c = { worktree: o.worktree, branch: o.branch, env: await queueEnv(o.worktree, o.env) };
    const start = await sessionHead(this.c);
    this.head = start;
    const items = await this.validate();
    this.dirty = await worktreeStatus(this.c);
    this.gitDirs = await gitDirsOf(this.c);
    this.compiled = compiledIn(this.o.worktree);
    try {
      if (!o.check) await this.land(await this.chain(items, start));
      else if (o.mode === 'each') for (const item of items) await this.each(item);
      else await this.batch(items);
    } catch (e) {
      // nothing half-done: the session's branch and worktree go back to where they were
      await moveTo(this.c, this.head, start, 'put back after an error').catch(() => {});
      throw e;
    }
    this.out.head = this.head;
    return this.out;
  }

  /** Items oldest first; every id once and every branch there, or a RemoteError before anything is done. */
  private async validate(): Promise<MergeItem[]> {
    const seen = new Set<string>();
    for (const item of this.o.items) {
      if (seen.has(item.id))
        throw new RemoteError('bad-request', `worker ${JSON.stringify(item.id)} is in the merge queue twice`);
      seen.add(item.id);
    }
    this.tips = await tipsOf(
      this.c,
      this.o.items.map((i) => i.branch),
    );
    const gone = this.o.items.filter((i) => !this.tips.has(i.branch)).map((i) => i.branch);
    if (gone.length)
      throw new RemoteError(
        'not-found',
        `no branch ${list(gone)} in ${this.o.worktree}'s repository; nothing was merged`,
      );
    return [...this.o.items].sort((a, b) => a.order - b.order);
  }

  /**
   * Merges items one on top of the other from `onto`, in the object store: the clean ones as a chain of
   * commits; conflicts and items already merged are reported. Neither the branch nor the worktree moves.
   * What each merge changes is compared with the session's uncommitted files when it has some; else the
   * chain's files are looked at once, for an ignored file one would overwrite, and item by item only then.
   */
  private async chain(items: MergeItem[], onto: string, byItem = this.dirty.size > 0): Promise<Link[]> {
    const found = { conflicts: [] as MergeConflict[], already: [] as string[] };
    const links: Link[] = [];
    let head = onto;
    for (const item of items) {
      const tip = this.tips.get(item.branch)!;
      const conflict = (files: string[], reason: string) =>
        found.conflicts.push({ id: item.id, branch: item.branch, files, reason });
      // both at once: where they meet tells an item already merged or a fast-forward, and then the merge is not needed
      const [meet, merge] = await Promise.all([
        mergeBase(this.c, head, tip),
        mergeTree(this.c.worktree, head, tip).catch((e: Error) => e),
      ]);
      if (meet === tip) {
        found.already.push(item.id);
        continue;
      }
      let tree = tip;
      if (meet !== head) {
        if (merge instanceof Error) {
          conflict([], `git could not merge ${item.branch} into ${this.o.branch}: ${merge.message}`);
          continue;
        }
        if (merge.conflicts.length) {
          conflict(merge.conflicts, `${item.branch} conflicts with ${this.o.branch} in ${list(merge.conflicts)}`);
          continue;
        }
        tree = merge.tree;
      }
      const hit = byItem ? overwritten(this.c.worktree, await changes(this.c, head, tree), this.dirty) : [];
      if (hit.length) {
        conflict(
          hit,
          `merging ${item.branch} would overwrite changes not committed in the session's worktree (${list(hit)}); commit them, then merge again`,
        );
        continue;
      }
      const next =
        tree === tip
          ? tip
          : await commitMerge(
              this.c,
              tree,
              head,
              tip,
              `Merge worker ${item.id} (${item.branch}) into ${this.o.branch}\n\nAgency-Worker: ${item.id}\n`,
            );
      links.push({ item, commit: next });
      head = next;
    }
    if (!byItem && links.length && overwritten(this.c.worktree, await changes(this.c, onto, head), this.dirty).length)
      return this.chain(items, onto, true);
    this.out.conflicts.push(...found.conflicts);
    this.out.already.push(...found.already);
    return links;
  }

  /** Moves the session to the last link of a chain that is to stay, and records its items as merged. */
  private async land(links: Link[]): Promise<void> {
    if (!links.length) return;
    await this.move(links.at(-1)!.commit, `merged ${links.map((l) => l.item.id).join(', ')}`);
    this.out.merged.push(...links.map((l) => l.item.id));
  }

  private async move(to: string, why: string): Promise<void> {
    await moveTo(this.c, this.head, to, why);
    this.head = to;
  }

  /** The check on the session's worktree at commit; what it changed there is put back. */
  private async checkAt(commit: string): Promise<CheckResult> {
    await this.move(commit, `checking ${commit.slice(0, 12)}`);
    this.out.checks++;
    const check = { ...this.o.check!, env: this.o.check!.env ?? this.o.env ?? process.env };
    // read-only for the check: the session's uncommitted files, and its compiled context (hooks and MCP
    // servers there would run outside any sandbox)
    const protect = [...this.dirty.keys(), ...this.compiled];
    try {
      return await runCheck(this.o.worktree, check, { gitDirs: this.gitDirs, protect });
    } finally {
      await undoCheckWrites(this.c, this.dirty, this.compiled);
    }
  }

  private async each(item: MergeItem): Promise<void> {
    const from = this.head;
    const [link] = await this.chain([item], from);
    if (!link) return;
    const r = await this.checkAt(link.commit);
    if (r.ok) this.out.merged.push(item.id);
    else {
      this.out.failedChecks.push({ id: item.id, branch: item.branch, output: r.output });
      await this.move(from, `took ${item.id} back out: its check failed`);
    }
  }

  private async batch(items: MergeItem[]): Promise<void> {
    /** whether the check is known to pass at the base (the head the chain starts from) */
    let baseGood = false;
    let base = this.head;
    let links = await this.chain(items, base);
    while (links.length) {
      const whole = await this.checkAt(links.at(-1)!.commit);
      if (whole.ok) {
        this.out.merged.push(...links.map((l) => l.item.id));
        return;
      }
      // the smallest failing prefix: `good` links are known to pass, `bad` ones to fail
      let good = 0;
      let bad = links.length;
      let output = whole.output;
      while (bad - good > 1) {
        const mid = (good + bad) >> 1;
        const r = await this.checkAt(links[mid - 1]!.commit);
        if (r.ok) good = mid;
        else [bad, output] = [mid, r.output];
      }
      if (good === 0 && !baseGood) {
        const r = await this.checkAt(base);
        if (!r.ok) return this.baseFails(links, base, r);
      }
      const culprit = links[bad - 1]!;
      this.out.failedChecks.push({ id: culprit.item.id, branch: culprit.item.branch, output });
      this.out.merged.push(...links.slice(0, bad - 1).map((l) => l.item.id));
      // the rest is merged again onto the prefix before the culprit, and checked as a batch of its own
      base = bad > 1 ? links[bad - 2]!.commit : base;
      baseGood = true;
      links = await this.chain(
        links.slice(bad).map((l) => l.item),
        base,
      );
    }
    await this.move(base, 'merged what passed the check');
  }

  /** The check fails with no worker's branch merged: none can be told apart, so none is kept. */
  private async baseFails(links: Link[], base: string, r: CheckResult): Promise<void> {
    await this.move(base, 'the check fails without the workers');
    const output = `the check fails on ${this.o.branch} itself, before any worker's branch is merged, so no branch could be checked:\n${r.output}`;
    for (const l of links) this.out.failedChecks.push({ id: l.item.id, branch: l.item.branch, output });
  }
}
