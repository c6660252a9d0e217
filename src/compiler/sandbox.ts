/**
 * The `sandbox` block of a compiled worktree's settings: Claude Code's own OS sandbox (Seatbelt on macOS,
 * bubblewrap and socat on Linux) around Bash and everything Bash starts. The guard explains and escalates;
 * this is what holds. What each key does was checked against Claude Code v2.1.197 and bubblewrap 0.8:
 * - Bash may write the working directory (Claude Code adds it), the session's temporary folder, and what
 *   git needs in a linked worktree's common dir (Claude Code adds that, and keeps its config and hooks
 *   read-only); nothing else, whatever the command.
 * - The compiled context is read-only, and `.claude` is bound onto itself so that it is a mount point
 *   inside the sandbox: `mv .claude x` then fails (EBUSY), which a read-only bind of its files alone
 *   does not prevent. (Denying writes to the whole of `.claude` breaks bubblewrap, which must create
 *   mount points in it.)
 * - Reads are allowed everywhere except the denied paths, and the environment is inherited except the
 *   variables named under `credentials`: both are listed here.
 * - The network goes through the sandbox's proxy, to the discipline's domains only (others are asked
 *   about on the screen, and the node makes that an operator's decision); no unix sockets at all.
 * File tools, hooks and MCP servers run outside it: the guard covers the file tools.
 */
import { relative, isAbsolute, sep } from 'node:path';
import type { GuardPolicy } from '../guard/policy.js';
import { nodeHomeSecrets } from './policy.js';
import type { ClaudeSettings } from '../registry/index.js';
import { shQuote, type SandboxOptions } from './settings.js';

export type SandboxSettings = NonNullable<ClaudeSettings['sandbox']>;

/** What agency compiles into a worktree, relative to it: Bash never changes these. */
export const COMPILED_CONTEXT = [
  '.claude/settings.json',
  '.claude/settings.local.json',
  '.claude/agents',
  '.claude/agency',
  '.mcp.json',
  'CLAUDE.md',
];

/**
 * Never readable inside the sandbox, whatever the discipline: the node's own files (node.env holds the API
 * key), keys, cloud and GitHub credentials, Claude Code's account file.
 */
export const SANDBOX_DENY_READ = ['~/.agency', '~/.ssh', '~/.aws', '~/.config/gh', '~/.claude.json'];

/** Variables no sandboxed command gets, on any node (the node adds the secret-looking names of its own environment). */
export const SANDBOX_DENY_ENV = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GITHUB_PERSONAL_ACCESS_TOKEN',
  'NPM_TOKEN',
];

/**
 * Writable by default in Claude Code's sandbox, and shared by every session of every user of the machine
 * (Claude Code's fallback temporary folder): a session has its own instead.
 */
const SHARED_TMP = ['/tmp/claude', '/private/tmp/claude'];

const GLOB = /[*?[\]{}]/;

/**
 * A secret path of the policy as the sandbox can deny it: `dir/**` is the folder itself, a path without
 * wildcards is itself. Other globs are left to the guard: on Linux Claude Code expands them by walking
 * the folder before every command (a whole worktree, node_modules and all, for each `**` pattern).
 */
function sandboxPath(p: string): string | null {
  const path = p.replace(/\/\*\*$/, '');
  return path === '' || GLOB.test(path) ? null : path;
}

const inside = (dir: string, p: string) => {
  const r = relative(dir, p);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
};

const union = (...lists: string[][]) => [...new Set(lists.flat())];

/** The sandbox block for a worktree compiled at `policy.root`. */
export function sandboxSettings(
  o: SandboxOptions,
  policy: Pick<GuardPolicy, 'root' | 'secretPaths' | 'network'>,
): SandboxSettings {
  if (!o.enabled) return { enabled: false };
  const secrets = policy.secretPaths.filter((s) => !s.startsWith('!'));
  const denied = union(
    SANDBOX_DENY_READ,
    o.nodeHome ? [o.nodeHome] : [],
    o.secretFiles ?? [],
    secrets.map(sandboxPath).filter((p): p is string => p !== null),
  );
  const under = (p: string) => denied.some((d) => p.startsWith(`${d}/`));
  const denyRead = denied.filter((p) => !under(p));
  // the policy's exceptions within what is denied (~/.ssh/known_hosts, ~/.ssh/config), and the session's
  // own worktree where it lies in the node's home
  const allowRead = union(
    policy.secretPaths
      .filter((s) => s.startsWith('!'))
      .map((s) => s.slice(1))
      .filter((s) => !GLOB.test(s) && under(s)),
    o.nodeHome && inside(o.nodeHome, policy.root) ? [policy.root] : [],
    (o.readDirs ?? []).filter((d) => under(d)),
  );
  const network: SandboxSettings['network'] = {
    allowedDomains: [...policy.network.allow],
    ...(policy.network.deny.length ? { deniedDomains: [...policy.network.deny] } : {}),
    allowAllUnixSockets: false,
    allowLocalBinding: false,
  };
  return {
    enabled: true,
    failIfUnavailable: true,
    // Bash calls go through the discipline's approvals as before (an unlisted command is the operator's
    // decision): Claude Code would otherwise run every sandboxed command it is not told to ask about
    autoAllowBashIfSandboxed: false,
    allowUnsandboxedCommands: false,
    network,
    filesystem: {
      allowWrite: ['.claude', ...(o.tmpDir ? [o.tmpDir] : [])],
      denyWrite: [...COMPILED_CONTEXT, ...SHARED_TMP, ...(o.readOnlyDirs ?? [])],
      denyRead,
      ...(allowRead.length ? { allowRead } : {}),
    },
    credentials: {
      envVars: union(SANDBOX_DENY_ENV, o.secretEnv ?? [])
        .sort()
        .map((name) => ({ name, mode: 'deny' as const })),
    },
  };
}

/**
 * The apiKeyHelper command: prints the key from the node's private file with shell builtins only (no
 * program looked up on a PATH). Claude Code runs it outside the sandbox, at start and every five minutes.
 */
export function keyHelperCommand(file: string): string {
  return `exec < ${shQuote(file)} && IFS= read -r k; printf '%s\\n' "$k"`;
}

/**
 * The node's secret files (where its home is not ~/.agency, the base policy names those): for the guard,
 * which covers the file tools the sandbox does not (Read, Grep, Edit run outside it).
 */
export function nodeSecretPaths(o: SandboxOptions | undefined, root?: string): string[] {
  if (!o?.nodeHome) return [...(o?.secretFiles ?? [])];
  // what the context is compiled for may lie in the node's home too (a worker's pooled worktree or its own
  // folder, and the session worktree a read-only worker reads): those are not the node's secrets
  const home = o.nodeHome;
  const own = [...(root ? [root] : []), ...(o.readDirs ?? [])].filter(
    (d) => inside(home, d) && d !== home && !inside(`${home}/worktrees`, d),
  );
  return [...nodeHomeSecrets(home), ...own.map((d) => `!${d}/**`), ...(o.secretFiles ?? [])];
}
