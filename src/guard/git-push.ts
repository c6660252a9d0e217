/**
 * `git push`: which branches of the remote it would overwrite or delete, from its flags, its refspecs
 * (`+src:dst`, `HEAD:heads/main`, wildcards) or, when it names none, the repository's configuration
 * (`remote.<r>.push`, `remote.<r>.mirror`, the upstream). Protected branches may not be force-pushed or
 * deleted by any of these routes.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { last, type GitConfig } from './git-config.js';
import { isUnknown } from './paths.js';

const PUSH_WITH_VALUE = new Set(['--repo', '--receive-pack', '--exec', '-o', '--push-option', '--signed']);

export interface PushContext {
  args: string[];
  cwd: string;
  protectedBranches: string[];
  /** regex source over branch names */
  protectedRe: string;
  /** the repository's config (with any `-c` over it), read only when the push names no refspec */
  config: () => GitConfig | Error;
}

/** Why this push is forbidden ('deny'), why the guard cannot tell ('ask'), or null. */
export function pushProblem(p: PushContext): { verdict: 'deny' | 'ask'; reason: string } | null {
  const re = new RegExp(`^(?:${p.protectedRe})$`);
  const deny = (reason: string) => ({ verdict: 'deny' as const, reason });
  let force = false;
  let del = false;
  let mirror = false;
  let all = false;
  let prune = false;
  let repo: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < p.args.length; i++) {
    const w = p.args[i] as string;
    if (w === '--') {
      positional.push(...p.args.slice(i + 1));
      break;
    }
    if (w.startsWith('--repo=')) repo = w.slice(7);
    if (PUSH_WITH_VALUE.has(w)) {
      if (w === '--repo') repo = p.args[i + 1];
      i++;
      continue;
    }
    if (w === '--force' || w.startsWith('--force-with-lease') || w === '--force-if-includes') force = true;
    else if (w === '--delete') del = true;
    else if (w === '--mirror') mirror = true;
    else if (w === '--all' || w === '--branches') all = true;
    else if (w === '--prune') prune = true;
    else if (/^-[a-zA-Z]+$/.test(w)) {
      if (w.includes('f')) force = true;
      if (w.includes('d')) del = true;
    } else if (!w.startsWith('-')) positional.push(w);
  }
  const remote = repo ?? positional[0];
  let refspecs = positional.slice(repo === undefined ? 1 : 0);
  if (mirror)
    return deny('git push --mirror overwrites and deletes every branch on the remote, protected ones included');
  if (prune) return deny('git push --prune deletes remote branches, protected ones included');
  const list = p.protectedBranches.join(', ');
  if (all && (force || del))
    return deny(`a forced or deleting push of every branch would rewrite protected branches (${list})`);
  const cur = currentBranch(p.cwd);
  if (refspecs.length === 0) {
    const cfg = p.config();
    if (cfg instanceof Error)
      return {
        verdict: 'ask',
        reason: `cannot read the repository's git configuration to see what this push would overwrite (${cfg.message})`,
      };
    const r =
      remote ??
      (cur
        ? (last(cfg, `branch.${cur}.pushremote`) ??
          last(cfg, 'remote.pushdefault') ??
          last(cfg, `branch.${cur}.remote`))
        : undefined) ??
      'origin';
    if (last(cfg, `remote.${r}.mirror`) === 'true')
      return deny(
        `remote ${r} is configured as a mirror (remote.${r}.mirror): a push overwrites and deletes every branch there, protected ones included`,
      );
    const configured = cfg.get(`remote.${r}.push`) ?? [];
    if (configured.length > 0) {
      for (const spec of configured) {
        const why = specProblem(spec, force, del, cur, re, p.protectedBranches);
        if (why) return deny(`${why} (configured in remote.${r}.push)`);
      }
      return null;
    }
    if (!(force || del)) return null;
    if (last(cfg, 'push.default') === 'matching')
      return deny(
        `a forced push with push.default=matching would overwrite every matching branch, protected ones included (${list})`,
      );
    if (cur === null) return deny('a forced push whose target branch cannot be determined');
    const upstream = last(cfg, `branch.${cur}.merge`)?.replace(/^refs\/heads\//, '');
    refspecs = [cur, ...(upstream && upstream !== cur ? [`${cur}:${upstream}`] : [])];
  }
  for (const spec of refspecs) {
    const why = specProblem(spec, force, del, cur, re, p.protectedBranches);
    if (why) return deny(why);
  }
  return null;
}

function specProblem(
  spec: string,
  force: boolean,
  del: boolean,
  cur: string | null,
  re: RegExp,
  protectedBranches: string[],
): string | null {
  const plus = spec.startsWith('+');
  const s = plus ? spec.slice(1) : spec;
  const colon = s.indexOf(':');
  const src = colon < 0 ? s : s.slice(0, colon);
  const dst = colon < 0 || del ? (del ? s : src) : s.slice(colon + 1);
  const forced = force || plus;
  const deleting = del || (colon >= 0 && src === '');
  if (!forced && !deleting) return null;
  const verb = deleting ? 'deleting' : 'force-pushing';
  if (isUnknown(dst)) return `cannot tell which branch this ${deleting ? 'deleting' : 'forced'} push targets`;
  let name = dst === '' ? src : dst;
  if (name.startsWith('refs/') && !name.startsWith('refs/heads/')) return null; // tags, notes: not branches
  name = name.replace(/^(refs\/)?heads\//, '');
  if (name === 'HEAD' || name === '@') {
    if (cur === null) return `${verb} HEAD, whose branch cannot be determined, is forbidden`;
    name = cur;
  }
  if (name.includes('*')) {
    const wild = new RegExp(
      `^${name
        .split('*')
        .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    const hit = protectedBranches.map((b) => b.replace(/\*/g, 'x')).find((b) => wild.test(b));
    return hit ? `${verb} with the wildcard refspec ${spec} would overwrite protected branch ${hit}` : null;
  }
  return re.test(name) ? `${verb} protected branch ${name} is forbidden` : null;
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
