/** Merges a discipline's hook files into the policy its guard enforces. */
import { compileBranchGlobs, compileGlobs, compileRule } from '../guard/globs.js';
import type { GuardPolicy } from '../guard/policy.js';
import type { HookFile, Located } from '../registry/index.js';
import type { SandboxOptions } from './settings.js';

/**
 * A node's home (AGENCY_HOME) is secret, all of it (node.env and run/ hold its key, node.secret signs its
 * sessions' tokens), but for what its worktrees hold. These rules go first in a policy's secret paths, so
 * that later patterns (`.env` in a worktree) still apply inside the worktrees.
 */
export function nodeHomeSecrets(home: string): string[] {
  return [home, `!${home}/worktrees/**`];
}

/** Always protected, whatever the registry says. */
export const BASE_SECRET_PATHS = [
  '.env',
  '.env.*',
  '!.env.example',
  '!.env.sample',
  '!.env.template',
  '**/*.pem',
  '**/*.key',
  '**/id_rsa*',
  '**/id_ed25519*',
  '**/id_ecdsa*',
  '!**/*.pub',
  '~/.ssh/**',
  '!~/.ssh/*.pub',
  '!~/.ssh/known_hosts',
  '!~/.ssh/config',
  '~/.aws/credentials',
  '~/.netrc',
  '**/.git-credentials',
  '~/.config/gh/hosts.yml',
  '~/.docker/config.json',
  '~/.kube/config',
  '~/.claude.json',
  '~/.claude/.credentials.json',
];
export const BASE_PROTECTED_BRANCHES = ['main', 'master'];
/** agency's own files in a compiled worktree: the session may read them, never change them */
export const PROTECTED_PATHS = ['.claude/settings.json', '.claude/settings.local.json', '.claude/agency/**'];

function union(...lists: (readonly string[] | undefined)[]): string[] {
  const out: string[] = [];
  for (const l of lists) for (const x of l ?? []) if (!out.includes(x)) out.push(x);
  return out;
}

/**
 * The policy for a worktree. `sandbox` as compile was given it: on unless the node was opted out (then
 * code the agent wrote runs only with the operator's say), and the session's temporary folder, writable.
 * `nodeSecrets`: secret paths of the machine the worktree is compiled on (a node's files where its
 * AGENCY_HOME is not ~/.agency).
 */
export function mergePolicy(
  root: string,
  files: Located<HookFile>[],
  ask: readonly string[] = [],
  sandbox: SandboxOptions = { enabled: true },
  nodeSecrets: readonly string[] = [],
): GuardPolicy {
  const p = files.map((f) => f.value.policy ?? {});
  const deny: GuardPolicy['denyCommands'] = [];
  for (const f of p) for (const d of f.denyCommands ?? []) if (!deny.some((x) => x.pattern === d.pattern)) deny.push(d);
  // Negations must come after the patterns they make exceptions to, so a discipline's extra secrets go
  // before the base list's exceptions would be wrong: keep registry order, then base exceptions last.
  const home = union(nodeHomeSecrets('~/.agency'), nodeSecrets);
  const secrets = union(
    BASE_SECRET_PATHS.filter((s) => !s.startsWith('!')),
    ...p.map((f) => f.secretPaths),
  ).filter((s) => !home.includes(s));
  const exceptions = BASE_SECRET_PATHS.filter((s) => s.startsWith('!') && !secrets.includes(s));
  const protectedBranches = union(BASE_PROTECTED_BRANCHES, ...p.map((f) => f.protectedBranches));
  const secretPaths = [...home, ...secrets, ...exceptions];
  const writablePaths = union(...p.map((f) => f.writablePaths));
  return {
    version: 1,
    root,
    tmpDir: sandbox.tmpDir ?? null,
    sandboxed: sandbox.enabled,
    protectedBranches,
    secretPaths,
    network: { allow: union(...p.map((f) => f.network?.allow)), deny: union(...p.map((f) => f.network?.deny)) },
    writablePaths,
    denyCommands: deny,
    protectedPaths: PROTECTED_PATHS,
    approvals: {
      allow: approvalAllows(files).map(compileRule),
      deny: files
        .flatMap((f) => f.value.approvals?.deny ?? [])
        .map((d) => ({ ...compileRule(d.rule), reason: d.reason })),
      ask: ask.map(compileRule),
    },
    matchers: {
      secret: compileGlobs(secretPaths),
      writable: compileGlobs(writablePaths),
      protected: compileGlobs(PROTECTED_PATHS.map((x) => `./${x}`)),
      branches: compileBranchGlobs(protectedBranches),
    },
  };
}

/** The rules a discipline's hook files allow without asking anyone. */
export function approvalAllows(files: Located<HookFile>[]): string[] {
  return union(...files.map((f) => f.value.approvals?.allow));
}
