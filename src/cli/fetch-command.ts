/**
 * `agency fetch <session> [--repo PATH]`: a session's branch into the operator's repository here, as
 * agency/<session>. From a remote node it travels over the link (git-upload-pack on the node's repository,
 * through agency's own SSH connection); from the local node it is fetched from its repository directly.
 * A branch of that name here that has commits the session's lacks, or that is checked out, is left as it
 * is: the session's branch is then kept at refs/agency/fetched/<session>, and the command says so.
 */
import { isAbsolute } from 'node:path';
import { loadConfig } from '../config/config.js';
import { gitLinkOf, LINK_URL, LinkedGit, type GitRun } from '../fleet/git-link.js';
import type { SessionBase } from '../protocol/messages.js';
import { SESSION_ID } from '../protocol/ops.js';
import { EXIT, printJson, say, UserError } from './output.js';
import { git, lastLines, repoHere } from './repo-source.js';
import { nodesOf, withCockpit } from './with-cockpit.js';

export interface FetchResult {
  session: string;
  node: string;
  /** the repository here the branch was fetched into */
  repo: string;
  branch: string;
  commit: string;
  /** where the branch was before, or null if it was not there */
  previous: string | null;
  updated: boolean;
  /** commits on the branch that this repository's HEAD lacks */
  ahead: number;
  base: SessionBase | null;
}

export async function fetchSession(ref: string, o: { repo?: string; json?: boolean }): Promise<void> {
  const id = ref.slice(ref.indexOf('/') + 1);
  if (!SESSION_ID.test(id))
    throw new UserError(
      `${JSON.stringify(ref)} is not a session (they look like s-1a2b3c, or node/s-1a2b3c)`,
      EXIT.usage,
    );
  const root = await repoHere(o.repo ?? process.cwd());
  if (!root)
    throw new UserError(
      o.repo !== undefined
        ? `${o.repo} is not a git repository here; pass --repo with your clone of the session's repository`
        : 'the current folder is not a git repository; run agency fetch in your clone, or pass --repo',
      EXIT.usage,
    );
  const branch = `agency/${id}`;
  const kept = `refs/agency/fetched/${id}`;
  const refspec = `+refs/heads/${branch}:${kept}`;
  const args = ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head'];
  // where the session is on a remote node, git and its bridge start while the link comes up and the
  // session is looked up; its connection waits until the node's repository is known
  const early = remoteLikely(ref)
    ? LinkedGit.start({ cwd: root, args: [...args, LINK_URL, refspec], service: 'git-upload-pack' })
    : null;
  try {
    const result = await withCockpit(nodesOf(ref), async (c) => {
      const s = await c.findSession(ref);
      if (!isAbsolute(s.repo) || /[\u0000-\u001f\u007f]/.test(s.repo))
        throw new UserError(`node ${s.node} names the repository of session ${s.id} in a way agency cannot use`);
      const link = gitLinkOf(c.link(s.node));
      let r: GitRun;
      if (link) {
        const g =
          early ?? LinkedGit.start({ cwd: root, args: [...args, LINK_URL, refspec], service: 'git-upload-pack' });
        g.attach(link, s.repo);
        r = await g.done;
      } else {
        early?.cancel();
        r = { ...(await git(root, [...args, s.repo, refspec])), remoteStderr: '' };
      }
      if (r.code !== 0)
        throw new UserError(
          `cannot fetch ${branch} from node ${s.node}: ${lastLines(`${r.stderr}\n${r.remoteStderr}`) || `git exited ${r.code}`}`,
        );
      return land(root, s.id, s.node, s.base);
    });
    if (o.json) printJson(result);
    else
      say(
        `${result.branch} ${result.updated ? 'is now' : 'was already'} at ${result.commit.slice(0, 12)} in ${result.repo}` +
          `${result.ahead ? ` (${result.ahead} commit${result.ahead === 1 ? '' : 's'} your HEAD lacks)` : ''}` +
          `; next: git log -p HEAD..${result.branch}, or git merge ${result.branch}`,
      );
  } finally {
    early?.cancel();
    await early?.done;
  }
}

/** Whether the session a reference names is likely on a remote node: the one it names, or any configured. */
function remoteLikely(ref: string): boolean {
  try {
    const nodes = loadConfig().nodes;
    const named = ref.includes('/') ? ref.slice(0, ref.indexOf('/')) : null;
    return nodes.some((n) => !n.local && (named === null || n.name === named));
  } catch {
    return false;
  }
}

/** Moves agency/<id> to the fetched commit where that loses nothing; otherwise leaves it and says where the fetched one is. */
async function land(root: string, id: string, node: string, base: SessionBase | null): Promise<FetchResult> {
  const branch = `agency/${id}`;
  const kept = `refs/agency/fetched/${id}`;
  const refs = await git(root, ['for-each-ref', '--format=%(refname) %(objectname)', kept, `refs/heads/${branch}`]);
  const at = new Map(refs.stdout.split('\n').map((l) => l.split(' ') as [string, string]));
  const commit = at.get(kept);
  if (!commit) throw new UserError(`the fetch of ${branch} left nothing at ${kept} in ${root}`);
  const previous = at.get(`refs/heads/${branch}`) ?? null;
  const keep = (why: string) =>
    new UserError(
      `${branch} in ${root} ${why}, so it is left as it is; the session's branch is at ${kept} (git log ${branch}..${kept}, or git merge ${kept})`,
    );
  if (previous !== commit) {
    if (previous && (await git(root, ['merge-base', '--is-ancestor', previous, commit])).code !== 0)
      throw keep("has commits the session's branch lacks");
    if (previous) {
      const trees = await git(root, ['worktree', 'list', '--porcelain']);
      const where = trees.stdout
        .split('\n\n')
        .find((t) => t.split('\n').includes(`branch refs/heads/${branch}`))
        ?.match(/^worktree (.*)$/m)?.[1];
      if (where) throw keep(`is checked out in ${where}`);
    }
  }
  const update = await git(
    root,
    ['update-ref', '--stdin'],
    `update refs/heads/${branch} ${commit} ${previous ?? '0'.repeat(commit.length)}\ndelete ${kept} ${commit}\n`,
  );
  if (update.code !== 0) throw new UserError(`cannot move ${branch} in ${root}: ${lastLines(update.stderr)}`);
  const ahead = Number((await git(root, ['rev-list', '--count', `HEAD..${commit}`])).stdout.trim()) || 0;
  return { session: id, node, repo: root, branch, commit, previous, updated: previous !== commit, ahead, base };
}
