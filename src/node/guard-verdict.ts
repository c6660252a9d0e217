/**
 * The guard's verdict on one tool call, as the node's resident evaluator hands it on. The one place in the
 * node that calls the guard's decide(): its decision logic stays in guard/decide.ts, for the standalone
 * guard and for the node alike.
 */
import { decide, type Decision, type HookInput } from '../guard/decide.js';
import type { GuardPolicy } from '../guard/policy.js';

/** allow: on to Claude Code's own rules; deny: blocked, with the reason Claude sees; ask: to the operator */
export type Verdict = Decision;

export function judgeCall(input: HookInput, policy: GuardPolicy, home: string): Verdict {
  return decide(input, policy, home);
}
