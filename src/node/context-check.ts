/**
 * Before every launch and every resume, the node checks a session's compiled context in its worktree
 * against its own copy (context-copy.ts) and restores what differs or is missing: a session that removed
 * `.claude`, moved it, or edited its settings to drop its hooks gets them back before claude starts
 * again. Whatever was in the way (a changed file, a stray agent, a link in place of a folder) is moved
 * to AGENCY_HOME/sessions/<id>/set-aside/<time>/ for the operator to inspect, never deleted.
 */
import { chmodSync, cpSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { POLICY_FILE } from '../compiler/index.js';
import { parsePolicy, type GuardPolicy } from '../guard/policy.js';
import { ContextCopy, sameEntry, scanContext, type ContextManifest, type Entry } from './context-copy.js';
import { sessionDir } from './ids.js';
import { lstatOrNull } from '../paths/fs-facts.js';

export interface Restored {
  path: string;
  /** missing: it was gone; changed: something else was there; added: it was not compiled, and went aside */
  was: 'missing' | 'changed' | 'added';
}

export type CheckResult = { ok: true; restored: Restored[]; setAside: string | null } | { ok: false; problem: string };

/** Moves root/rel to aside/rel: on the same file system a rename, else a copy and a removal. */
function moveAside(root: string, rel: string, aside: string): void {
  const dest = join(aside, rel);
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  try {
    renameSync(join(root, rel), dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    cpSync(join(root, rel), dest, { recursive: true, verbatimSymlinks: true });
    rmSync(join(root, rel), { recursive: true, force: true });
  }
}

/** Makes every folder on the way to rel a real folder the node can write in, setting aside what is not. */
function clearWay(root: string, rel: string, aside: string): void {
  const parts = rel.split('/').slice(0, -1);
  const writable = (abs: string, mode: number) => {
    if ((mode & 0o700) !== 0o700) chmodSync(abs, (mode & 0o7777) | 0o700);
  };
  writable(root, lstatSync(root).mode);
  for (let i = 0; i < parts.length; i++) {
    const sub = parts.slice(0, i + 1).join('/');
    const abs = join(root, sub);
    const st = lstatOrNull(abs);
    if (st?.isDirectory()) {
      writable(abs, st.mode);
      continue;
    }
    if (st) moveAside(root, sub, aside);
    mkdirSync(abs, { mode: 0o755 });
  }
}

function restore(root: string, rel: string, want: Entry, copy: ContextCopy, aside: string): void {
  clearWay(root, rel, aside);
  const abs = join(root, rel);
  const tmp = join(dirname(abs), `.agency-restore-${process.pid}-${basename(abs)}`);
  rmSync(tmp, { force: true, recursive: true });
  if (want.kind === 'file') {
    writeFileSync(tmp, copy.bytes(want.sha256), { flag: 'wx', mode: want.mode });
    chmodSync(tmp, want.mode);
  } else symlinkSync(want.target, tmp);
  if (lstatOrNull(abs)) moveAside(root, rel, aside);
  renameSync(tmp, abs);
}

/** Brings the context in root back to the manifest; returns what it changed. */
function bringBack(root: string, manifest: ContextManifest, copy: ContextCopy, aside: string): Restored[] {
  const found = scanContext(root);
  const restored: Restored[] = [];
  for (const rel of found.keys())
    if (!Object.hasOwn(manifest.entries, rel)) {
      moveAside(root, rel, aside);
      restored.push({ path: rel, was: 'added' });
    }
  for (const [rel, want] of Object.entries(manifest.entries).sort(([a], [b]) => a.localeCompare(b))) {
    const have = found.get(rel);
    if (sameEntry(have, want)) continue;
    restore(root, rel, want, copy, aside);
    restored.push({ path: rel, was: have ? 'changed' : 'missing' });
  }
  return restored;
}

export class ContextCheck {
  private readonly policies = new Map<string, GuardPolicy>();

  /** sessions: the node's folder of per-session files (AGENCY_HOME/sessions) */
  constructor(private readonly sessions: string) {}

  private copy(id: string): ContextCopy {
    return new ContextCopy(join(sessionDir(this.sessions, id), 'context'));
  }

  /** Keeps the node's copy of what it has just compiled into the session's worktree. */
  keep(id: string, worktree: string): void {
    this.copy(id).take(worktree);
    this.policies.delete(id);
  }

  /** Checks the worktree against the node's copy and restores what differs; a session that cannot be checked must not start. */
  verify(id: string, worktree: string): CheckResult {
    const copy = this.copy(id);
    let manifest: ContextManifest | null;
    try {
      manifest = copy.load();
    } catch (e) {
      return { ok: false, problem: `its compiled context cannot be checked: ${(e as Error).message}` };
    }
    if (!manifest)
      return {
        ok: false,
        problem:
          'the node has no copy of its compiled context to check its worktree against (it was started by an older agency); start the task again with agency run',
      };
    if (!lstatOrNull(worktree)?.isDirectory()) return { ok: false, problem: `its worktree ${worktree} is gone` };
    const aside = join(sessionDir(this.sessions, id), 'set-aside', new Date().toISOString().replace(/[:.]/g, '-'));
    try {
      const restored = bringBack(worktree, manifest, copy, aside);
      return { ok: true, restored, setAside: lstatOrNull(aside) ? aside : null };
    } catch (e) {
      return { ok: false, problem: `its compiled context could not be restored: ${(e as Error).message}` };
    }
  }

  /**
   * The check before a launch or a resume: what it restored is reported; returns why the session must not
   * start, or null when it may.
   */
  beforeLaunch(id: string, worktree: string, report: (text: string) => void): string | null {
    const r = this.verify(id, worktree);
    if (!r.ok) {
      report(`${id}: not started: ${r.problem}`);
      return r.problem;
    }
    if (r.restored.length) report(`${id}: ${describeRestored(r.restored, r.setAside)}`);
    return null;
  }

  /** The guard policy the node compiled for the session: from its own copy, never from the worktree. */
  policy(id: string): GuardPolicy {
    const cached = this.policies.get(id);
    if (cached) return cached;
    const copy = this.copy(id);
    const entry = copy.load()?.entries[POLICY_FILE];
    if (entry?.kind !== 'file') throw new Error(`the node has no copy of the policy of session ${id}`);
    const policy = parsePolicy(copy.bytes(entry.sha256).toString('utf8'));
    this.policies.set(id, policy);
    return policy;
  }
}

/** One line for the log and the operator: what a check restored. */
export function describeRestored(restored: Restored[], setAside: string | null): string {
  const list = restored.map((r) => `${r.path} (${r.was})`).join(', ');
  return `restored its compiled context before starting claude: ${list}${setAside ? `; what was in the way is in ${setAside}` : ''}`;
}
