/**
 * The guard's decision for one tool call: allow, deny (with the reason Claude sees) or ask (the
 * operator decides, and no allow rule may decide instead). The PreToolUse hook and the node's answer to
 * a permission request both ask it (main.ts, node/approvals.ts).
 */
import { realpathSync } from 'node:fs';
import { checkBash } from './bash.js';
import { makeChecker } from './checker.js';
import { ruleMatches } from './rules.js';
import type { GuardPolicy } from './policy.js';
import { checkTool } from './tools.js';
import { Findings, type Decision } from './verdict.js';
import { forgetGitConfig } from './git-config.js';

export type { Decision } from './verdict.js';

export interface HookInput {
  tool_name?: unknown;
  tool_input?: unknown;
  cwd?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function decide(input: HookInput, policy: GuardPolicy, home: string): Decision {
  forgetGitConfig();
  const tool = str(input.tool_name);
  if (!tool) return { verdict: 'deny', reason: 'the hook input names no tool' };
  const ti = (typeof input.tool_input === 'object' && input.tool_input !== null ? input.tool_input : {}) as Record<
    string,
    unknown
  >;
  const root = realpathSync(policy.root);
  const cwd = str(input.cwd) ?? root;
  for (const d of policy.approvals.deny) {
    if (ruleMatches(d, tool, ti, { root, home, cwd }))
      return { verdict: 'deny', reason: `agency policy denies this (${d.rule}): ${d.reason}` };
  }
  const c = makeChecker(policy, { root, home, cwd });
  const f = new Findings();
  if (tool === 'Bash') {
    const cmd = str(ti.command);
    if (cmd === undefined) f.add('deny', 'Bash call without a command');
    else checkBash(cmd, c, f);
  } else checkTool(tool, ti, c, f);
  return f.decision();
}
