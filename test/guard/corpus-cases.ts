/**
 * The guard corpus's vocabulary: a case, and the helpers and reason pieces its files are written with.
 * The corpus: commands and tool calls with the verdict each deserves, in the world of
 * corpus-fixture.ts. `{root}`, `{home}`, `{outside}`, `{tmp}` and `{base}` stand for its folders. A
 * deny or ask names a piece of its reason. Cases run sandboxed unless marked `unsandboxed`, from the
 * worktree unless given a `cwd` (relative to it).
 */
export type Verdict = 'allow' | 'deny' | 'ask';

export interface CorpusCase {
  /** a Bash command line, or another tool's call */
  call: string | { tool: string; input: Record<string, unknown> };
  expect: Verdict;
  /** a piece of the reason (case-insensitive), for deny and ask */
  reason?: string;
  unsandboxed?: boolean;
  cwd?: string;
  /** under agency's base policy alone, not the standard one of the registry (whose own rules speak first) */
  base?: boolean;
}

export type Extra = Partial<Pick<CorpusCase, 'unsandboxed' | 'cwd' | 'base'>>;
export const allow = (call: CorpusCase['call'], extra: Extra = {}): CorpusCase => ({ call, expect: 'allow', ...extra });
export const deny = (call: CorpusCase['call'], reason: string, extra: Extra = {}): CorpusCase => ({
  call,
  expect: 'deny',
  reason,
  ...extra,
});
export const ask = (call: CorpusCase['call'], reason: string, extra: Extra = {}): CorpusCase => ({
  call,
  expect: 'ask',
  reason,
  ...extra,
});
export const tool = (name: string, input: Record<string, unknown>) => ({ tool: name, input });
export const bare = { unsandboxed: true };
export const base = { base: true };

export const OUT = 'outside the worktree';
export const SECRET = 'secret';
export const PROTECTED = 'protected branch';
export const META = 'metadata or link-local';
export const OWN = "agency's own configuration";
export const ENV = 'environment';
export const AGENT = 'outside the os sandbox';
