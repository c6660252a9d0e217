/** The `.claude/settings.json` of a compiled worktree: the guard as a PreToolUse hook, the registry's hooks, permissions. */
import type { GuardPolicy } from '../guard/policy.js';
import { findSocat, guardMatcher, residentGuardCommand, turnGateCommand } from './guard-hook.js';
import { agencyMcpApprovals } from './agency-mcp.js';
import { approvalAllows } from './policy.js';
import { keyHelperCommand, sandboxSettings } from './sandbox.js';
import {
  settingsSchema,
  type ClaudeSettings,
  type Discipline,
  type HookFile,
  type Located,
} from '../registry/index.js';

export interface HookPrograms {
  /** absolute path of the Node.js that runs agency's hook programs */
  node: string;
  /** absolute path of the guard program */
  guard: string;
  /**
   * absolute path of the lifecycle hook program, for a worktree the node runs a session in: it reports
   * SessionStart, UserPromptSubmit, PermissionRequest, Notification, Stop, StopFailure and SessionEnd to the node
   */
  lifecycle?: string;
  /**
   * absolute path of agency's MCP server program, for a worktree the node runs a session in: compiled into
   * its .mcp.json as the server `agency`, through which the session fans work out to workers
   */
  mcp?: string;
  /**
   * in a session the node runs: where its hooks reach the node, and the token that names the session to
   * it (a hook connection may report for this session only, and never decide, run or stop anything)
   */
  session?: { socket: string; id: string; token: string };
  /**
   * in a session the node runs with its own API key: the private file it keeps the key in. Claude Code
   * reads the key through the compiled apiKeyHelper (which it runs outside the sandbox), so the key is
   * never in the environment Bash inherits.
   */
  keyFile?: string;
}

/**
 * The OS sandbox Claude Code puts Bash (and all it starts) in. `enabled: false` only on a node the
 * operator opted out; `tmpDir` is the session's own temporary folder, the one place besides the worktree
 * it may write.
 */
export interface SandboxOptions {
  enabled: boolean;
  tmpDir?: string;
  /** the node's home (AGENCY_HOME): never readable inside the sandbox, except the session's own worktree in it */
  nodeHome?: string;
  /** the names of the node's secret environment variables: unset for everything the sandbox runs */
  secretEnv?: string[];
  /** further secret files of the node (Claude Code's account files where CLAUDE_CONFIG_DIR puts them) */
  secretFiles?: string[];
  /** folders it may read besides its own (a read-only worker's view of its session's worktree), even in the node's home */
  readDirs?: string[];
  /** folders it may read but never write (that same view) */
  readOnlyDirs?: string[];
}

/** Events the lifecycle hook reports, with their timeouts in seconds (a PermissionRequest may wait for the operator). */
export const LIFECYCLE_EVENTS: Record<string, number> = {
  SessionStart: 30,
  UserPromptSubmit: 30,
  PermissionRequest: 3600,
  Notification: 30,
  Stop: 30,
  // instead of Stop when an API error ended the turn (a refused key, a rate limit, an overload)
  StopFailure: 30,
  SessionEnd: 10,
};

/** POSIX shell single-quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The guard's command line. Claude Code runs it with sh; only exit 2 blocks, and a program that fails to
 * start (exit 127, a missing Node) would not, so any exit other than 0 and 2 is turned into 2.
 * In a node's session, with socat at hand, the node's resident evaluator answers (guard-hook.ts): no
 * Node starts for the call. Elsewhere (a plain `agency compile`) the standalone guard runs.
 * NODE_OPTIONS could load code into the guard, and NODE_EXTRA_CA_CERTS makes every Node start parse a
 * certificate bundle (tens of milliseconds) the guard never uses: both are cleared for it.
 */
export function guardCommand(p: HookPrograms, policyPath: string, socat = findSocat()): string {
  if (p.session && socat) return residentGuardCommand(socat, p.session);
  return (
    `NODE_OPTIONS= NODE_EXTRA_CA_CERTS= ${shQuote(p.node)} ${shQuote(p.guard)} ${shQuote(policyPath)}; s=$?; ` +
    `[ $s -eq 0 ] && exit 0; [ $s -eq 2 ] || echo "agency guard could not run (exit $s); the call is blocked" >&2; exit 2`
  );
}

/** The guard's PreToolUse hook group: for the tools it judges and those a policy rule names. */
function guardHook(p: HookPrograms, policyPath: string, d: Discipline, hookFiles: Located<HookFile>[]) {
  const rules = [
    ...hookFiles.flatMap((f) => (f.value.approvals?.deny ?? []).map((x) => x.rule)),
    ...(d.permissions?.deny ?? []),
    ...(d.permissions?.ask ?? []),
  ];
  return {
    matcher: guardMatcher(rules),
    hooks: [{ type: 'command' as const, command: guardCommand(p, policyPath), timeout: 30 }],
  };
}

/**
 * In a session the node runs, with socat at hand: the turn gate, as a PostToolBatch hook. The next API request
 * waits on it until the node has read what the last one cost (guard-hook.ts), so that a spent budget pauses
 * the session before it asks for another turn. Elsewhere null.
 */
export function turnGateHook(p: HookPrograms, socat = findSocat()) {
  if (!p.session || !socat) return null;
  return { hooks: [{ type: 'command' as const, command: turnGateCommand(socat, p.session), timeout: 30 }] };
}

/**
 * The lifecycle hook's command line, in a session the node runs (else null: there is no node to report
 * to). It names the node's socket, the session and the session's token as arguments, so that nothing the
 * hook needs is in the environment that the session's own commands inherit. NODE_OPTIONS and
 * NODE_EXTRA_CA_CERTS are cleared for it as for the guard.
 */
export function lifecycleCommand(p: HookPrograms): string | null {
  if (!p.lifecycle || !p.session) return null;
  const { socket, id, token } = p.session;
  return `NODE_OPTIONS= NODE_EXTRA_CA_CERTS= ${[p.node, p.lifecycle, socket, id, token].map(shQuote).join(' ')}`;
}

/**
 * The two settings files of a compiled worktree. Claude Code ignores (and warns about) allow and ask rules
 * in a project's settings.json until the folder is trusted, but applies those of an untracked
 * settings.local.json at once, in a checkout or a linked worktree alike. So the shared file holds the
 * hooks, the deny rules and the mode; the local file holds the allow and ask rules (and the mode again).
 */
export function buildSettings(
  d: Discipline,
  hookFiles: Located<HookFile>[],
  programs: HookPrograms,
  policyPath: string,
  policy: GuardPolicy,
  sandbox: SandboxOptions = { enabled: true },
): { shared: ClaudeSettings; local: ClaudeSettings } {
  const hooks: NonNullable<ClaudeSettings['hooks']> = {
    PreToolUse: [guardHook(programs, policyPath, d, hookFiles)],
  };
  const gate = turnGateHook(programs);
  if (gate) hooks.PostToolBatch = [gate];
  const command = lifecycleCommand(programs);
  if (command) {
    for (const [event, timeout] of Object.entries(LIFECYCLE_EVENTS))
      (hooks[event] ??= []).push({ hooks: [{ type: 'command', command, timeout }] });
  }
  for (const f of hookFiles) {
    for (const [event, groups] of Object.entries(f.value.hooks ?? {})) (hooks[event] ??= []).push(...groups);
  }
  const perms = d.permissions ?? {};
  const mode = perms.defaultMode ? { defaultMode: perms.defaultMode } : {};
  const shared: ClaudeSettings = {
    $schema: 'https://json.schemastore.org/claude-code-settings.json',
    permissions: {
      ...(perms.deny?.length ? { deny: perms.deny } : {}),
      ...mode,
      disableBypassPermissionsMode: 'disable',
    },
    hooks,
  };
  // the policy's own allow rules go to Claude Code too: a call they cover needs no question to anyone
  // (the guard enforces the policy's deny rules before Claude Code's rules are consulted)
  // and agency's own MCP server's tools, in a session the node runs (agency-mcp.ts)
  const agency = agencyMcpApprovals(programs);
  const allow = [...new Set([...(perms.allow ?? []), ...approvalAllows(hookFiles), ...agency.allow])];
  const servers = [...d.tools, ...agency.servers];
  const local: ClaudeSettings = {
    permissions: { ...(allow.length ? { allow } : {}), ...(perms.ask?.length ? { ask: perms.ask } : {}), ...mode },
    // the discipline's own MCP servers and agency's are approved; Claude Code honours this from the local file untrusted
    ...(servers.length ? { enabledMcpjsonServers: servers } : {}),
    // the highest of the project's files, so no other project file turns it off; its paths are this machine's
    sandbox: sandboxSettings(sandbox, policy),
    ...(programs.keyFile ? { apiKeyHelper: keyHelperCommand(programs.keyFile) } : {}),
  };
  return {
    shared: validateSettings(shared, '.claude/settings.json'),
    local: validateSettings(local, '.claude/settings.local.json'),
  };
}

/** Claude Code skips an invalid settings file without a word: never write one. */
export function validateSettings(s: unknown, file: string): ClaudeSettings {
  const r = settingsSchema.safeParse(s);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Error(`refusing to write invalid ${file}: ${first?.path.join('.')}: ${first?.message}`);
  }
  return r.data;
}
