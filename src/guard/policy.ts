import type { CompiledRule, GlobRule } from './globs.js';

/**
 * The policy the guard enforces, as compiled into a worktree's `.claude/agency/policy.json`.
 * Checked by hand, not with a schema library: the guard starts before every tool call and must stay small.
 */
export interface GuardPolicy {
  version: 1;
  /** the worktree, absolute */
  root: string;
  /** the session's own temporary folder, writable like the worktree; null when there is none */
  tmpDir: string | null;
  /**
   * whether the session runs in Claude Code's OS sandbox. Outside it, commands that run code the agent
   * wrote (`npm run`, `make`, `./script`) are put to the operator instead of allowed by rules.
   */
  sandboxed: boolean;
  protectedBranches: string[];
  secretPaths: string[];
  network: { allow: string[]; deny: string[] };
  writablePaths: string[];
  denyCommands: { pattern: string; reason: string }[];
  /** agency's own files in the worktree, relative to root: never written by the session */
  protectedPaths: string[];
  /**
   * How the node answers permission requests (the guard itself does not use these): rules in Claude Code's
   * syntax. `ask` holds the discipline's ask rules, which always go to the operator.
   */
  approvals: { allow: CompiledRule[]; ask: CompiledRule[]; deny: (CompiledRule & { reason: string })[] };
  /** the globs above, compiled by `agency compile` (globs.ts) */
  matchers: { secret: GlobRule[]; writable: GlobRule[]; protected: GlobRule[]; branches: string };
}

export const POLICY_VERSION = 1;

export function parsePolicy(text: string): GuardPolicy {
  const raw: unknown = JSON.parse(text);
  const fail = (what: string): never => {
    throw new Error(`policy is malformed: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not an object');
  const p = raw as Record<string, unknown>;
  if (p.version !== POLICY_VERSION) fail(`version ${JSON.stringify(p.version)} is not ${POLICY_VERSION}`);
  if (typeof p.root !== 'string' || !p.root.startsWith('/')) fail('root must be an absolute path');
  if (p.tmpDir !== undefined && p.tmpDir !== null && (typeof p.tmpDir !== 'string' || !p.tmpDir.startsWith('/')))
    fail('tmpDir must be an absolute path or null');
  if (p.sandboxed !== undefined && typeof p.sandboxed !== 'boolean') fail('sandboxed must be true or false');
  const strings = (v: unknown, name: string): string[] => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return fail(`${name} must be a list of strings`);
    return v as string[];
  };
  const net = p.network as Record<string, unknown> | undefined;
  if (typeof net !== 'object' || net === null) fail('network must be an object');
  const deny = p.denyCommands;
  if (!Array.isArray(deny) || !deny.every((d) => typeof d?.pattern === 'string' && typeof d?.reason === 'string'))
    fail('denyCommands must be a list of {pattern, reason}');
  const m = p.matchers as Record<string, unknown> | undefined;
  if (typeof m !== 'object' || m === null) fail('matchers are missing (compile the worktree again)');
  const rules = (v: unknown, name: string): GlobRule[] => {
    const ok =
      Array.isArray(v) &&
      v.every(
        (r) =>
          typeof r?.re === 'string' &&
          typeof r?.negate === 'boolean' &&
          ['home', 'root', 'abs', 'any'].includes(r?.anchor),
      );
    if (!ok) fail(`matchers.${name} must be a list of compiled globs`);
    return v as GlobRule[];
  };
  if (typeof m?.branches !== 'string') fail('matchers.branches must be a regex source');
  const ap = (p.approvals ?? {}) as Record<string, unknown>;
  const compiled = (v: unknown, name: string, reasons = false): CompiledRule[] => {
    const ok =
      Array.isArray(v) &&
      v.every(
        (r) =>
          typeof r?.rule === 'string' && typeof r?.tool === 'string' && (!reasons || typeof r?.reason === 'string'),
      );
    if (!ok) fail(`approvals.${name} must be a list of compiled rules`);
    return v as CompiledRule[];
  };
  return {
    version: POLICY_VERSION,
    approvals: {
      allow: compiled(ap.allow ?? [], 'allow'),
      ask: compiled(ap.ask ?? [], 'ask'),
      deny: compiled(ap.deny ?? [], 'deny', true) as GuardPolicy['approvals']['deny'],
    },
    root: p.root as string,
    tmpDir: (p.tmpDir as string | null | undefined) ?? null,
    // a policy written before the sandbox existed: treat the session as unsandboxed (fail closed)
    sandboxed: p.sandboxed === true,
    protectedBranches: strings(p.protectedBranches, 'protectedBranches'),
    secretPaths: strings(p.secretPaths, 'secretPaths'),
    network: { allow: strings(net?.allow, 'network.allow'), deny: strings(net?.deny, 'network.deny') },
    writablePaths: strings(p.writablePaths, 'writablePaths'),
    denyCommands: deny as GuardPolicy['denyCommands'],
    protectedPaths: strings(p.protectedPaths, 'protectedPaths'),
    matchers: {
      secret: rules(m?.secret, 'secret'),
      writable: rules(m?.writable, 'writable'),
      protected: rules(m?.protected, 'protected'),
      branches: m?.branches as string,
    },
  };
}
