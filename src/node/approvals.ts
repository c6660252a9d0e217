/**
 * The node's answer to a permission request Claude Code could not settle by its own rules: allow it,
 * deny it with a reason Claude sees, or put it to the operator. Rules use Claude Code's permission syntax.
 */
import { decide } from '../guard/decide.js';
import type { GuardPolicy } from '../guard/policy.js';
import { ruleMatches, type CallContext } from '../guard/rules.js';

export type Verdict =
  | { kind: 'allow'; rule: string }
  /** rule: the deny rule that matched, or `guard` when the guard refused the call */
  | { kind: 'deny'; message: string; rule: string }
  | { kind: 'escalate'; why: string };

/**
 * The guard judges the call first, as its PreToolUse hook did: what it refuses stays refused, and what
 * it cannot see through (`ask`) goes to the operator whatever the allow rules say. Then the rules.
 */
export function judge(policy: GuardPolicy, tool: string, input: unknown, ctx: CallContext): Verdict {
  let guard: ReturnType<typeof decide>;
  try {
    guard = decide({ tool_name: tool, tool_input: input, cwd: ctx.cwd }, policy, ctx.home);
  } catch (e) {
    return { kind: 'escalate', why: `the guard failed (${(e as Error).message})` };
  }
  if (guard.verdict === 'deny')
    return { kind: 'deny', message: `agency guard blocked this call: ${guard.reason}`, rule: 'guard' };
  if (guard.verdict === 'ask') return { kind: 'escalate', why: guard.reason };
  const approvals = policy.approvals;
  for (const d of approvals.deny)
    if (ruleMatches(d, tool, input, ctx))
      return { kind: 'deny', message: `agency policy denies this (${d.rule}): ${d.reason}`, rule: d.rule };
  for (const r of approvals.ask)
    if (ruleMatches(r, tool, input, ctx))
      return { kind: 'escalate', why: `the discipline asks the operator for ${r.rule}` };
  for (const r of approvals.allow) if (ruleMatches(r, tool, input, ctx)) return { kind: 'allow', rule: r.rule };
  return { kind: 'escalate', why: 'no rule decides this call' };
}

/** A one-line description of a tool call, for the operator. */
export function describeCall(tool: string, input: unknown): string {
  const i = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  const what =
    s(i.command) ||
    s(i.file_path) ||
    s(i.notebook_path) ||
    s(i.url) ||
    s(i.pattern) ||
    s(i.description) ||
    JSON.stringify(i);
  return what.replace(/\s+/g, ' ').trim().slice(0, 300);
}
