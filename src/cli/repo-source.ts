/**
 * The repository `agency run` gives a node. A URL goes as it is: the node clones it into its mirror (the
 * URL's credentials travel to the node over the link, and are never shown). A path, for the local node, is
 * that path here. For a remote node, a repository of the operator's here is pushed over the link into the
 * node's mirror of it (HEAD and its branch, commits not pushed anywhere included) and the session branches
 * from that commit; a path that is no repository here is taken as a path on the node.
 */
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Cockpit } from '../cockpit/client.js';
import { gitLinkOf, LINK_URL } from '../fleet/git-link.js';
import type { OpArgs, SessionBase, SessionSummary } from '../protocol/messages.js';
import { isRepoUrl, mirrorName, parseRepo, RepoRefError, scrubText, secretsOf } from '../protocol/repo-url.js';
import { EXIT, UserError, warn } from './output.js';

export interface RunRepo {
  /** the node to run on: the one named, else the one the cockpit picks */
  node: string;
  repo: string;
  base?: SessionBase;
}

/**
 * Starts a run on its node with its repository resolved (runRepo). Whatever comes back is scrubbed of the
 * URL's credentials, whichever node or agent put them in a message.
 */
export function runFrom(
  c: Cockpit,
  o: { repo?: string; node?: string },
  args: Omit<OpArgs['run'], 'repo' | 'base'>,
): Promise<SessionSummary> {
  return startFrom(c, o, (node, repo) => c.run({ ...args, ...repo }, node));
}

/** As runFrom, for any start of sessions on a node given the repository (`run-split`, say). */
export async function startFrom<T>(
  c: Cockpit,
  o: { repo?: string; node?: string },
  start: (node: string, repo: Omit<RunRepo, 'node'>) => Promise<T>,
): Promise<T> {
  try {
    const { node, ...repo } = await runRepo(c, o);
    return await start(node, repo);
  } catch (e) {
    if (e instanceof Error) e.message = scrubText(e.message, o.repo !== undefined ? secretsIn(o.repo) : []);
    throw e;
  }
}

function secretsIn(repo: string): string[] {
  try {
    return secretsOf(parseRepo(repo));
  } catch {
    return [];
  }
}

/** A `--repo` that names no repository agency can read is a usage error (exit 2), before anything starts. */
export function checkRepoOption(repo: string): void {
  try {
    parseRepo(repo);
  } catch (e) {
    if (e instanceof RepoRefError) throw new UserError(`--repo: ${e.message}`, EXIT.usage);
    throw e;
  }
}

/** The node and the `repo` (and `base`) of a run, the operator's repository pushed first where it must be. */
export async function runRepo(c: Cockpit, o: { repo?: string; node?: string }): Promise<RunRepo> {
  if (o.repo !== undefined) checkRepoOption(o.repo);
  const node = o.node ?? (await c.pickNode());
  if (o.repo !== undefined && isRepoUrl(o.repo)) return { node, repo: o.repo };
  const link = gitLinkOf(c.link(node));
  if (!link) return { node, repo: o.repo !== undefined ? resolve(o.repo) : process.cwd() };
  const root = await repoHere(o.repo ?? process.cwd());
  if (root) return pushRepo(c, node, root);
  if (o.repo !== undefined) return { node, repo: o.repo };
  throw new UserError(
    `the current folder is not a git repository; to work on node ${node}, pass --repo with a repository here (it is sent to the node), a URL the node can clone, or a path on the node`,
    EXIT.usage,
  );
}

/** The top of the git repository at path on this machine, or null if git sees none there (or not one of ours). */
export async function repoHere(path: string): Promise<string | null> {
  const r = await git(resolve(path), ['rev-parse', '--show-toplevel']);
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * Pushes the repository's HEAD to the node's mirror of it: onto its branch there (a detached HEAD, or one on a
 * branch of agency's own, onto a ref under refs/agency/base/), so that the commit is there to branch from.
 */
async function pushRepo(c: Cockpit, node: string, root: string): Promise<RunRepo> {
  const head = await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (head.code !== 0)
    throw new UserError(`${root} has no commits yet; commit something first, so a session can branch from it`);
  const commit = head.stdout.trim();
  const branch = (await git(root, ['symbolic-ref', '--quiet', '--short', 'HEAD'])).stdout.trim() || null;
  // one mirror per repository, whichever of its worktrees the run starts from
  const common = (await git(root, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).stdout.trim();
  const main = common.endsWith('/.git') ? common.slice(0, -'/.git'.length) : common || root;
  const { path } = await c
    .requestOn(node, 'mirror', { name: mirrorName(`file://${hostname()}${main}`) })
    .catch((e: Error & { code?: string }) => {
      // an agent from before repositories could be sent to it
      if (e.code === 'bad-request' && /unknown operation/.test(e.message))
        throw new UserError(`node ${node} runs an older agency agent; run agency push --node ${node}`);
      throw e;
    });
  const dest = branch && !branch.startsWith('agency/') ? `refs/heads/${branch}` : `refs/agency/base/${commit}`;
  const link = gitLinkOf(c.link(node))!;
  const r = await link.git({
    cwd: root,
    // an internal transfer, not a publication: the operator's push hooks, signing and submodule checks stay out of it
    args: [
      '-c',
      'push.gpgSign=false',
      '-c',
      'push.followTags=false',
      'push',
      '--quiet',
      '--no-verify',
      '--no-recurse-submodules',
      LINK_URL,
      `+${commit}:${dest}`,
    ],
    service: 'git-receive-pack',
    remotePath: path,
  });
  if (r.code !== 0)
    throw new UserError(
      `cannot send ${root} to node ${node}: ${lastLines(`${r.stderr}\n${r.remoteStderr}`) || `git exited ${r.code}`}`,
    );
  const dirty = await git(root, ['status', '--porcelain', '--untracked-files=no']);
  if (dirty.stdout.trim())
    warn(
      `agency: ${root} has changes not committed; they stay here: the session on ${node} starts from ${commit.slice(0, 12)}${branch ? ` (${branch})` : ''}`,
    );
  return { node, repo: path, base: { commit, branch } };
}

/** The last few lines of git's messages, one line, with any URL's credentials taken out. */
export function lastLines(text: string, n = 3): string {
  return scrubText(text)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' / ');
}

/** git in cwd, to the end; never rejects (a folder that is not there is a failure like any other). */
export function git(
  cwd: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = execFile('git', args, { cwd, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    p.stdin?.on('error', () => undefined);
    p.stdin?.end(input ?? '');
  });
}
