/**
 * Offering a session's branch for review: pushed to its repository's remote (the upstream remote of the
 * branch it started from, else `origin`, else the only remote), then a pull request made with `gh` when the
 * node has it, and otherwise the address where one is opened by hand, derived from the remote's URL. No URL
 * is ever shown with the credentials it may carry.
 */
import { execFile } from 'node:child_process';
import type { PrResult } from '../protocol/messages.js';
import { scrubText } from '../protocol/repo-url.js';
import { firstLines, git, gitEnv, gitOut } from './git.js';
import { LandingError, tipOf, type SessionBranch } from './landing.js';

export interface PushRequest {
  session: SessionBranch;
  /** the `gh` program to open a pull request with, or null */
  gh: string | null;
  env?: NodeJS.ProcessEnv;
}

export type Pushed = Omit<PrResult, 'session'>;

async function remoteOf(s: SessionBranch): Promise<string> {
  const remotes = (await gitOut(s.repo, ['remote'])).split('\n').filter((r) => r !== '');
  const upstream = s.base?.branch
    ? (await git(s.repo, ['config', '--get', `branch.${s.base.branch}.remote`])).stdout.trim()
    : '';
  if (upstream && remotes.includes(upstream)) return upstream;
  if (remotes.includes('origin')) return 'origin';
  if (remotes.length === 1) return remotes[0]!;
  throw new LandingError(
    'failed',
    remotes.length === 0
      ? `${s.repo} has no remote to push ${s.branch} to; add one (git remote add origin URL), then run agency pr again`
      : `${s.repo} has several remotes (${remotes.join(', ')}) and none is origin or ${s.base?.branch ?? 'the base branch'}'s upstream; set one (git branch --set-upstream-to)`,
  );
}

/** The web address of a repository from a remote URL (https, ssh, scp-like or git://), or null for a local one. */
export function webAddress(url: string): { base: string; host: string; path: string } | null {
  let host: string;
  let path: string;
  let scheme = 'https';
  const full = /^([a-z][a-z0-9+.-]*):\/\/(?:[^/@]*@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(url);
  const scp = /^(?:[^@/:]+@)?([^/:]+):(?!\/\/)(.+)$/.exec(url);
  if (full) {
    const proto = full[1]!.toLowerCase();
    if (proto === 'file') return null;
    if (proto === 'http') scheme = 'http';
    host = full[2]!;
    path = full[3]!;
    // an http(s) remote keeps its port; an ssh one's port is not the web server's
    const port = /^https?$/.test(proto) ? (/^[^/]*:\/\/(?:[^/@]*@)?[^/:]+(:\d+)/.exec(url)?.[1] ?? '') : '';
    host += port;
  } else if (scp && !url.startsWith('/')) {
    host = scp[1]!;
    path = scp[2]!;
  } else return null;
  path = path.replace(/\/+$/, '').replace(/\.git$/, '');
  if (!path) return null;
  return { base: `${scheme}://${host}/${path}`, host, path };
}

const enc = (ref: string) => encodeURIComponent(ref).replace(/%2F/g, '/');

/** Where a pull (or merge) request of branch into base is opened by hand, in the style of the remote's host. */
export function compareUrl(remoteUrl: string, branch: string, base: string | null): string | null {
  const web = webAddress(scrubText(remoteUrl));
  if (!web) return null;
  if (/gitlab/i.test(web.host))
    return `${web.base}/-/merge_requests/new?merge_request%5Bsource_branch%5D=${encodeURIComponent(branch)}${base ? `&merge_request%5Btarget_branch%5D=${encodeURIComponent(base)}` : ''}`;
  if (/bitbucket/i.test(web.host))
    return `${web.base}/pull-requests/new?source=${encodeURIComponent(branch)}${base ? `&dest=${encodeURIComponent(base)}` : ''}`;
  return `${web.base}/compare/${base ? `${enc(base)}...` : ''}${enc(branch)}?expand=1`;
}

function run(program: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(program, args, { cwd, env, timeout: 120_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : -1
        : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === -1 ? err.message : '') });
    });
  });
}

const lastUrl = (text: string) => /https?:\/\/\S+/g[Symbol.match](text)?.at(-1) ?? null;

export async function pushForReview(p: PushRequest): Promise<Pushed> {
  const s = p.session;
  await tipOf(s);
  const remote = await remoteOf(s);
  const url = (await gitOut(s.repo, ['remote', 'get-url', remote])).trim();
  const env = gitEnv(p.env ?? process.env);
  const push = await git(s.repo, ['push', '--quiet', remote, `refs/heads/${s.branch}:refs/heads/${s.branch}`], {
    env,
    timeoutMs: 300_000,
  });
  if (push.code !== 0)
    throw new LandingError('failed', `git push of ${s.branch} to ${remote} failed: ${firstLines(push.stderr)}`);
  const base = s.base?.branch ?? null;
  const result: Pushed = {
    remote,
    remoteUrl: scrubText(url),
    branch: s.branch,
    url: null,
    compareUrl: compareUrl(url, s.branch, base),
    note: null,
  };
  if (!p.gh) return result;
  const web = webAddress(scrubText(url));
  const args = ['pr', 'create', '--fill', '--head', s.branch, ...(base ? ['--base', base] : [])];
  if (web && web.path.split('/').length === 2) args.push('--repo', `${web.host}/${web.path}`);
  const gh = await run(p.gh, args, s.repo, {
    ...(p.env ?? process.env),
    GH_PROMPT_DISABLED: '1',
    GH_NO_UPDATE_NOTIFIER: '1',
    NO_COLOR: '1',
  });
  // gh names the pull request it made, or the one that already exists for the branch
  const made = gh.code === 0 ? lastUrl(gh.stdout) : /already exists/i.test(gh.stderr) ? lastUrl(gh.stderr) : null;
  if (made) return { ...result, url: scrubText(made) };
  return { ...result, note: scrubText(`gh pr create failed: ${firstLines(gh.stderr || gh.stdout, 2)}`) };
}
