/**
 * The node's answer to a permission request Claude Code could not settle by its own rules: allow it,
 * deny it with a reason Claude sees, or put it to the operator. Rules use Claude Code's permission syntax.
 */
import type { GuardPolicy } from '../guard/policy.js';
import { ruleMatches, type CallContext } from '../guard/rules.js';

export type Verdict =
  { kind: 'allow'; rule: string } | { kind: 'deny'; rule: string; reason: string } | { kind: 'escalate'; why: string };

export function judge(approvals: GuardPolicy['approvals'], tool: string, input: unknown, ctx: CallContext): Verdict {
  for (const d of approvals.deny)
    if (ruleMatches(d, tool, input, ctx)) return { kind: 'deny', rule: d.rule, reason: d.reason };
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
