/**
 * `git` command lines: config injection (`-c`, `--config-env`, `git config`), aliases, pushes that
 * overwrite protected branches, secret files read back from history (`git show HEAD:.env`, `git log -p
 * -- .env`, `git cat-file`, `git archive`), outputs written outside the worktree, and changes that
 * would remove agency's own untracked files.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Checker } from './checker.js';
import { optionValue } from './files.js';
import { HARMLESS_KEY, normalKey, overlay, readGitConfig, type GitConfig } from './git-config.js';
import { pushProblem } from './git-push.js';
import { isInside, isUnknown } from './paths.js';
import type { Findings } from './verdict.js';

const BUILTIN = new Set(
  (
    'add am annotate apply archive bisect blame branch bundle cat-file check-attr check-ignore check-mailmap ' +
    'check-ref-format checkout checkout-index cherry cherry-pick clean clone column commit commit-graph commit-tree ' +
    'config count-objects credential describe diff diff-files diff-index diff-tree difftool fast-export fast-import ' +
    'fetch fetch-pack filter-branch fmt-merge-msg for-each-ref format-patch fsck gc grep hash-object help hook ' +
    'index-pack init interpret-trailers log ls-files ls-remote ls-tree merge merge-base merge-file merge-tree mergetool ' +
    'mktag mktree mv name-rev notes pack-objects pack-refs prune pull push range-diff read-tree rebase reflog remote ' +
    'repack replace rerere reset restore rev-list rev-parse revert rm send-pack shortlog show show-branch show-ref ' +
    'sparse-checkout stash status submodule switch symbolic-ref tag update-index update-ref var verify-commit ' +
    'verify-tag version whatchanged worktree write-tree lfs maintenance'
  ).split(' '),
);
const WRITING = new Set([
  'clean',
  'reset',
  'checkout',
  'restore',
  'rm',
  'mv',
  'stash',
  'commit',
  'merge',
  'rebase',
  'pull',
  'am',
  'apply',
  'switch',
  'init',
  'clone',
  'worktree',
  'cherry-pick',
  'revert',
]);
/** subcommands that print file contents from the repository's history */
const SHOWS_CONTENT = new Set(['show', 'diff', 'blame', 'annotate', 'grep', 'difftool', 'format-patch', 'range-diff']);
const PATCH_FLAGS = /^(-p|-u|--patch|-U\d*|--unified(=.*)?|--full-diff|--cc|-c|--word-diff.*|--stat-with-patch)$/;

export interface GitContext {
  c: Checker;
  f: Findings;
  /** how deep in aliases this call is */
  depth: number;
}

export function gitProblems(args: string[], x: GitContext): void {
  const { c, f } = x;
  let cwd = c.cwd;
  const pairs: [string, string][] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const w = args[i] as string;
    if (w === '-C') {
      const v = args[++i] ?? '';
      cwd = cwd === null || isUnknown(v) ? null : resolve(cwd, v);
    } else if (w === '-c') {
      const v = args[++i] ?? '';
      const eq = v.indexOf('=');
      pairs.push([normalKey(eq < 0 ? v : v.slice(0, eq)), eq < 0 ? 'true' : v.slice(eq + 1)]);
    } else if (w === '--config-env' || w.startsWith('--config-env=')) {
      if (w === '--config-env') i++;
      f.add('ask', 'git --config-env sets configuration from the environment; the operator decides');
    } else if (/^--(git-dir|work-tree|exec-path|namespace|super-prefix)(=|$)/.test(w)) {
      if (!w.includes('=') && w !== '--exec-path') i++;
      f.add('ask', `git ${w.split('=')[0]} points git at another repository or program; the operator decides`);
    } else if (!w.startsWith('-')) break;
  }
  for (const [k, v] of pairs)
    if (!HARMLESS_KEY.test(k))
      f.add('ask', `git -c ${k}=${v} changes what git runs, fetches or pushes; the operator decides`);
  const sub = args[i];
  if (sub === undefined || cwd === null) {
    if (sub === 'push')
      f.add('ask', 'cannot tell which repository this push runs in (after a cd the guard cannot follow)');
    return;
  }
  const rest = args.slice(i + 1);
  let cfg: GitConfig | Error | undefined;
  const config = () => (cfg ??= ((r) => (r instanceof Error ? r : overlay(r, pairs)))(readGitConfig(cwd as string)));
  const here = c.at(cwd);

  if (!BUILTIN.has(sub)) {
    const alias = ((r) => (r instanceof Error ? r : r.get(`alias.${sub}`)?.at(-1)))(config());
    if (alias instanceof Error)
      f.add('ask', `cannot read the repository's git configuration to see what git ${sub} is (${alias.message})`);
    else if (alias !== undefined) {
      if (alias.startsWith('!'))
        f.add('ask', `git ${sub} is an alias for the shell command ${alias.slice(1)}; the operator decides`);
      else if (x.depth > 4) f.add('ask', `git ${sub} is an alias nested too deeply to follow`);
      else
        gitProblems([...args.slice(0, i), ...alias.split(/\s+/).filter(Boolean), ...rest], {
          ...x,
          depth: x.depth + 1,
        });
    }
    return;
  }
  for (const o of optionValue(rest, sub === 'format-patch' || sub === 'archive' ? ['-o'] : [], [
    '--output',
    '--output-directory',
  ]))
    f.add('deny', here.writeProblem(o));
  switch (sub) {
    case 'push': {
      const why = pushProblem({
        args: rest,
        cwd,
        protectedBranches: c.policy.protectedBranches,
        protectedRe: c.policy.matchers.branches,
        config,
      });
      if (why) f.add(why.verdict, why.reason);
      break;
    }
    case 'config':
      configProblem(rest, here, f);
      break;
    case 'cat-file':
      if (!rest.some((a) => /^-[tse]$/.test(a)) && !rest.some((a) => revPath(a) !== null))
        f.add(
          'ask',
          'git cat-file prints repository objects the guard cannot tell apart from secret files; the operator decides',
        );
      break;
    case 'archive':
      if (!rest.includes('-l') && !rest.includes('--list'))
        f.add('ask', 'git archive packs every tracked file, secret ones included; the operator decides');
      break;
    case 'clean':
      if (rest.some((a) => /^-\w*f|^--force$/.test(a)) && !rest.some((a) => /^-\w*n|^--dry-run$/.test(a))) {
        const paths = rest.filter((a) => !a.startsWith('-'));
        if (paths.length === 0 && isInside(cwd, c.ctx.root))
          f.add(
            'deny',
            "git clean would delete agency's own configuration for this session (untracked files in .claude/); remove specific paths instead",
          );
        for (const p of paths) f.add('deny', here.writeProblem(p, 'delete'));
      }
      break;
    case 'stash':
      if (rest.some((a) => /^(-u|--include-untracked|-a|--all)$/.test(a)))
        f.add(
          'deny',
          "git stash with untracked files would take agency's own configuration for this session (untracked files in .claude/) away",
        );
      break;
  }
  secretRoutes(sub, rest, here, f);
  if (WRITING.has(sub) && !isInside(cwd, c.ctx.root) && !c.writable(cwd))
    f.add('deny', `git ${sub} would change ${cwd}, outside the worktree`);
}

/** `REV:path`, `:path`, `:0:path` → the path part */
function revPath(a: string): string | null {
  if (a.startsWith('-') || /^[a-z][a-z0-9+.-]*:\/\//i.test(a)) return null;
  const m = /^[^:]*:(?:[0-3]:)?(.+)$/.exec(a);
  return m ? (m[1] as string) : null;
}

function secretRoutes(sub: string, rest: string[], c: Checker, f: Findings): void {
  const top = c.cwd !== null && isInside(c.cwd, c.ctx.root) ? c.ctx.root : c.cwd;
  for (const a of rest) {
    const p = revPath(a);
    if (
      p === null ||
      top === null ||
      !['show', 'cat-file', 'diff', 'grep', 'blame', 'archive', 'difftool', 'restore', 'checkout'].includes(sub)
    )
      continue;
    const abs = isAbsolute(p)
      ? p
      : p.startsWith('./') || p.startsWith('../')
        ? resolve(c.cwd as string, p)
        : resolve(top, p);
    if (sub === 'restore' || sub === 'checkout') continue;
    const why = c.readProblem(abs);
    if (why) f.add('deny', `git ${sub} ${a} reads ${abs} from the repository's history: ${why}`);
  }
  const patch =
    SHOWS_CONTENT.has(sub) ||
    (['log', 'whatchanged', 'reflog', 'stash'].includes(sub) && rest.some((a) => PATCH_FLAGS.test(a)));
  if (!patch) return;
  const dash = rest.indexOf('--');
  const paths = dash >= 0 ? rest.slice(dash + 1) : rest.filter((a) => !a.startsWith('-'));
  for (const p of paths) {
    const why = c.readProblem(p, dash < 0);
    if (why) f.add('deny', `git ${sub} of ${p} prints what the repository holds of it: ${why}`);
  }
}

function configProblem(rest: string[], c: Checker, f: Findings): void {
  const reading =
    rest.some((a) =>
      /^(--get|--get-all|--get-regexp|--get-urlmatch|-l|--list|--show-origin|--show-scope|--name-only|-z|--null)$/.test(
        a,
      ),
    ) || ['get', 'list'].includes(rest[0] ?? '');
  const file = rest.includes('--global')
    ? '~/.gitconfig'
    : rest.includes('--system')
      ? '/etc/gitconfig'
      : optionValue(rest, ['-f'], ['--file'])[0];
  const positional = rest.filter(
    (a, i) => !a.startsWith('-') && !['-f', '--file', '--type', '--default', '--comment'].includes(rest[i - 1] ?? ''),
  );
  const words = ['set', 'unset', 'get', 'list', 'edit', 'rename-section', 'remove-section'].includes(
    positional[0] ?? '',
  )
    ? positional.slice(1)
    : positional;
  const writes =
    !reading &&
    (words.length >= 2 ||
      rest.some((a) =>
        /^(--unset|--unset-all|--add|--replace-all|--rename-section|--remove-section|-e|--edit)$/.test(a),
      ) ||
      ['set', 'unset', 'edit'].includes(positional[0] ?? ''));
  if (!writes) return;
  if (file !== undefined) f.add('deny', c.writeProblem(file));
  const key = words[0];
  if (key === undefined || !HARMLESS_KEY.test(normalKey(key)))
    f.add(
      'ask',
      `git config ${key ?? ''} changes what git runs, fetches or pushes; the operator decides`.replace('  ', ' '),
    );
}
