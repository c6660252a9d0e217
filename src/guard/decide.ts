/** The guard's decision for one PreToolUse event. */
import { realpathSync } from 'node:fs';
import { checkBash } from './bash.js';
import { makeChecker } from './checker.js';
import { hostProblem } from './hosts.js';
import { ruleMatches } from './rules.js';
import type { GuardPolicy } from './policy.js';

export interface HookInput {
  tool_name?: unknown;
  tool_input?: unknown;
  cwd?: unknown;
}

export type Decision = { allow: true } | { allow: false; reason: string };

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function decide(input: HookInput, policy: GuardPolicy, home: string): Decision {
  const tool = str(input.tool_name);
  if (!tool) return { allow: false, reason: 'the hook input names no tool' };
  const ti = (typeof input.tool_input === 'object' && input.tool_input !== null ? input.tool_input : {}) as Record<
    string,
    unknown
  >;
  const root = realpathSync(policy.root);
  const cwd = str(input.cwd) ?? root;
  const c = makeChecker(policy, { root, home, cwd });
  for (const d of policy.approvals.deny) {
    if (ruleMatches(d, tool, ti, { root, home, cwd }))
      return { allow: false, reason: `agency policy denies this (${d.rule}): ${d.reason}` };
  }
  const why = (() => {
    switch (tool) {
      case 'Bash': {
        const cmd = str(ti.command);
        return cmd === undefined ? 'Bash call without a command' : checkBash(cmd, c);
      }
      case 'Read':
      case 'NotebookRead': {
        const p = str(ti.file_path) ?? str(ti.notebook_path);
        return p ? c.readProblem(p) : null;
      }
      case 'Grep':
      case 'Glob':
      case 'LS': {
        const p = str(ti.path);
        return p ? c.readProblem(p) : null;
      }
      case 'Write':
      case 'Edit':
      case 'MultiEdit':
      case 'NotebookEdit': {
        const p = str(ti.file_path) ?? str(ti.notebook_path);
        if (!p) return `${tool} call without a file path`;
        return c.writeProblem(p) ?? (tool === 'Write' ? null : c.readProblem(p));
      }
      case 'WebFetch': {
        const url = str(ti.url);
        if (!url) return null;
        let host: string;
        try {
          host = new URL(url).hostname;
        } catch {
          return `WebFetch of an invalid URL: ${url}`;
        }
        return hostProblem(host, policy.network);
      }
      default:
        return null;
    }
  })();
  return why ? { allow: false, reason: why } : { allow: true };
}
