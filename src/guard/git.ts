/** What a `git` command line does that the policy cares about: force-pushes and deletions of protected branches. */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const GLOBAL_WITH_VALUE = new Set([
  '-C',
  '-c',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--exec-path',
  '--config-env',
]);
const PUSH_WITH_VALUE = new Set(['--repo', '--receive-pack', '--exec', '-o', '--push-option', '--signed']);

export interface GitCall {
  sub: string;
  args: string[];
  /** the folder git runs in, after any -C */
  cwd: string;
}

export function parseGit(args: string[], cwd: string): GitCall | null {
  let dir = cwd;
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    if (GLOBAL_WITH_VALUE.has(w)) {
      if (w === '-C' && args[i + 1] !== undefined) dir = resolve(dir, args[i + 1] as string);
      i++;
      continue;
    }
    if (w.startsWith('-')) continue;
    return { sub: w, args: args.slice(i + 1), cwd: dir };
  }
  return null;
}

/** Why this push is forbidden, or null. */
export function pushProblem(call: GitCall, protectedBranches: string[], protectedRe: string): string | null {
  const re = new RegExp(`^(?:${protectedRe})$`);
  const isProtected = (b: string) => re.test(b);
  let force = false;
  let del = false;
  let all = false;
  const positional: string[] = [];
  for (let i = 0; i < call.args.length; i++) {
    const w = call.args[i] as string;
    if (w === '--') {
      positional.push(...call.args.slice(i + 1));
      break;
    }
    if (PUSH_WITH_VALUE.has(w)) {
      i++;
      continue;
    }
    if (w === '-f' || w === '--force' || w.startsWith('--force-with-lease') || w === '--force-if-includes')
      force = true;
    else if (w === '-d' || w === '--delete') del = true;
    else if (w === '--mirror' || w === '--all' || w === '--branches') all = true;
    else if (/^-[a-zA-Z]+$/.test(w) && w.includes('f')) force = true;
    else if (!w.startsWith('-')) positional.push(w);
  }
  const refspecs = positional.slice(1);
  const targets: { branch: string; force: boolean; del: boolean }[] = refspecs.map((spec) => {
    const plus = spec.startsWith('+');
    const s = plus ? spec.slice(1) : spec;
    const colon = s.indexOf(':');
    const src = colon < 0 ? s : s.slice(0, colon);
    const dst = colon < 0 ? s : s.slice(colon + 1);
    const branch = (dst === '' ? src : dst).replace(/^refs\/heads\//, '');
    const resolved = branch === 'HEAD' ? (currentBranch(call.cwd) ?? 'HEAD') : branch;
    return { branch: resolved, force: force || plus, del: del || (colon >= 0 && src === '') };
  });
  if (all && (force || del)) {
    const list = protectedBranches.join(', ');
    return `a forced or deleting push of every branch would rewrite protected branches (${list})`;
  }
  if (targets.length === 0 && (force || del)) {
    const branch = currentBranch(call.cwd);
    if (branch === null) return 'a forced push whose target branch cannot be determined';
    targets.push({ branch, force, del });
  }
  for (const t of targets) {
    if (!(t.force || t.del)) continue;
    if (t.branch === 'HEAD' || isProtected(t.branch))
      return `${t.del ? 'deleting' : 'force-pushing'} protected branch ${t.branch} is forbidden`;
  }
  return null;
}

/** The branch checked out in the repository containing dir (worktrees included), or null. */
export function currentBranch(dir: string): string | null {
  let d = resolve(dir);
  for (;;) {
    const dotgit = join(d, '.git');
    try {
      const st = statSync(dotgit);
      let gitdir = dotgit;
      if (st.isFile()) {
        const m = /^gitdir: (.+)$/m.exec(readFileSync(dotgit, 'utf8'));
        if (!m) return null;
        gitdir = resolve(d, (m[1] as string).trim());
      }
      const head = readFileSync(join(gitdir, 'HEAD'), 'utf8').trim();
      const ref = /^ref: refs\/heads\/(.+)$/.exec(head);
      return ref ? (ref[1] as string) : null;
    } catch {
      const parent = dirname(d);
      if (parent === d) return null;
      d = parent;
    }
  }
}
