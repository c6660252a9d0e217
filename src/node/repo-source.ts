/**
 * Where a session's worktree comes from on this node: a path as given, or the node's mirror of a URL
 * (cloned once under AGENCY_HOME/mirrors, fetched before each session). The mirrors the operator pushes
 * their own repositories into live there too. A URL's credentials go to git alone: the origin a session
 * keeps and shows is the URL without them, and every message is scrubbed.
 */
import { join } from 'node:path';
import { RemoteError } from '../protocol/connection.js';
import type { MirrorResult, OpArgs, SessionBase } from '../protocol/messages.js';
import { parseRepo, scrubText, secretsOf } from '../protocol/repo-url.js';
import { ensureBareRepo, MirrorError, syncMirror } from '../worktree/index.js';

export interface RepoSource {
  /** the repository on this node to make the worktree from */
  repo: string;
  /** what to branch from, where that is not the repository's HEAD */
  base?: SessionBase;
  /** the URL it came from, without credentials; null for a path */
  origin: string | null;
}

export class RepoSources {
  constructor(
    /** AGENCY_HOME */
    private readonly home: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get mirrors(): string {
    return join(this.home, 'mirrors');
  }

  /** The repository a run works on. A URL is fetched into its mirror first (cloned the first time). */
  async resolve(args: Pick<OpArgs['run'], 'repo' | 'base'>): Promise<RepoSource> {
    const ref = parseRepo(args.repo);
    if (ref.kind === 'path') return { repo: args.repo, ...(args.base ? { base: args.base } : {}), origin: null };
    if (args.base)
      throw new RemoteError('bad-request', `a run from a URL branches from its default branch; it takes no base`);
    try {
      const m = await syncMirror(this.mirrors, ref, this.env);
      return { repo: m.path, base: m.base, origin: ref.safe };
    } catch (e) {
      const why = e instanceof MirrorError ? e.message : `cannot mirror ${ref.safe}: ${(e as Error).message}`;
      throw new RemoteError('failed', scrubText(why, secretsOf(ref)));
    }
  }

  /** The bare mirror named, made if it is missing, for the operator to push a repository into. */
  async mirror(args: OpArgs['mirror']): Promise<MirrorResult> {
    try {
      return { path: await ensureBareRepo(join(this.mirrors, `${args.name}.git`)) };
    } catch (e) {
      throw new RemoteError('failed', `cannot make the mirror ${args.name}: ${(e as Error).message}`);
    }
  }
}
