/**
 * The guard's verdict on one tool call, as the node's resident evaluator hands it on. The one place that
 * calls the guard's decide(): its decision logic stays in guard/decide.ts, for the standalone guard and
 * for the node alike.
 */
import { decide, type HookInput } from '../guard/decide.js';
import type { GuardPolicy } from '../guard/policy.js';

/** allow: on to Claude Code's own rules; deny: blocked, with the reason Claude sees; ask: to the operator */
export type Verdict = { verdict: 'allow' } | { verdict: 'deny'; reason: string } | { verdict: 'ask'; reason: string };

export function judgeCall(input: HookInput, policy: GuardPolicy, home: string): Verdict {
  const d = decide(input, policy, home);
  return d.allow ? { verdict: 'allow' } : { verdict: 'deny', reason: d.reason };
}
