/**
 * The node's answer to a permission request Claude Code could not settle by its own rules: allow it,
 * deny it with a reason Claude sees, or put it to the operator. Rules use Claude Code's permission syntax.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { GuardPolicy } from '../guard/policy.js';

export type Verdict = { kind: 'allow'; rule: string } | { kind: 'deny'; rule: string; reason: string } | { kind: 'escalate'; why: string };

const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
const ALIASES: Record<string, string> = { Task: 'Agent' };

export function judge(approvals: GuardPolicy['approvals'], tool: string, input: unknown, ctx: { root: string; cwd: string; home: string }): Verdict {
  const call = { tool: ALIASES[tool] ?? tool, input: (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown> };
  for (const d of approvals.deny) if (matches(d.rule, call, ctx)) return { kind: 'deny', rule: d.rule, reason: d.reason };
  for (const r of approvals.ask) if (matches(r, call, ctx)) return { kind: 'escalate', why: `the discipline asks the operator for ${r}` };
  for (const r of approvals.allow) if (matches(r, call, ctx)) return { kind: 'allow', rule: r };
  return { kind: 'escalate', why: 'no rule decides this call' };
}

/** A one-line description of a tool call, for the operator. */
export function describeCall(tool: string, input: unknown): string {
  const i = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  const what = s(i.command) || s(i.file_path) || s(i.notebook_path) || s(i.url) || s(i.pattern) || s(i.description) || JSON.stringify(i);
  return what.replace(/\s+/g, ' ').trim().slice(0, 300);
}

function matches(rule: string, call: { tool: string; input: Record<string, unknown> }, ctx: { root: string; cwd: string; home: string }): boolean {
  const m = /^([^()]+?)(?:\((.*)\))?$/s.exec(rule.trim());
  if (!m) return false;
  const ruleTool = ALIASES[m[1]!] ?? m[1]!;
  const spec = m[2];
  if (ruleTool.startsWith('mcp__')) return glob(ruleTool, call.tool) && spec === undefined;
  const sameTool = ruleTool === call.tool || (ruleTool === 'Edit' && EDIT_TOOLS.has(call.tool));
  if (!sameTool) return false;
  if (spec === undefined || spec === '*') return true;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (ruleTool) {
    case 'Bash': {
      const pattern = spec.endsWith(':*') ? `${spec.slice(0, -2)} *` : spec;
      const cmd = str(call.input.command).trim();
      return wildcard(pattern, cmd) || (pattern.endsWith(' *') && cmd === pattern.slice(0, -2));
    }
    case 'Read':
    case 'Edit': {
      const file = str(call.input.file_path) || str(call.input.notebook_path) || str(call.input.path);
      return file !== '' && pathMatches(spec, resolve(ctx.cwd, file), ctx);
    }
    case 'WebFetch': {
      const d = /^domain:(.+)$/.exec(spec);
      if (!d) return false;
      let host: string;
      try {
        host = new URL(str(call.input.url)).hostname.toLowerCase();
      } catch {
        return false;
      }
      const want = d[1]!.toLowerCase();
      return want.startsWith('*.') ? host.endsWith(want.slice(1)) : host === want;
    }
    default:
      return false;
  }
}

/** Claude Code's Bash wildcard: `*` matches any run of characters, spaces included. */
function wildcard(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return re.test(text);
}

function glob(pattern: string, text: string): boolean {
  return picomatch.isMatch(text, pattern, { dot: true });
}

/** Path rules: `//abs`, `~/home`, `/` and `./` from the worktree root, bare patterns anywhere below it. */
function pathMatches(spec: string, abs: string, ctx: { root: string; home: string }): boolean {
  if (spec.startsWith('//')) return glob(spec.slice(1), abs);
  if (spec.startsWith('~/')) return glob(resolve(ctx.home, spec.slice(2)), abs);
  const rel = relative(ctx.root, abs);
  if (rel.startsWith('..') || isAbsolute(rel)) return false;
  if (spec.startsWith('/') || spec.startsWith('./')) return glob(spec.replace(/^\.?\//, ''), rel);
  return glob(spec.includes('/') ? spec : `**/${spec}`, rel);
}
