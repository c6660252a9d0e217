/** Matching a tool call against compiled permission rules (globs.ts), with no glob library at run time. */
import { resolve } from 'node:path';
import type { CompiledRule } from './globs.js';
import { globMatcher } from './paths.js';

const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
const ALIASES: Record<string, string> = { Task: 'Agent' };

export interface CallContext {
  root: string;
  home: string;
  cwd: string;
}

export function ruleMatches(r: CompiledRule, toolName: string, input: unknown, ctx: CallContext): boolean {
  const tool = ALIASES[toolName] ?? toolName;
  const i = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  if (r.toolIsPattern) {
    if (!new RegExp(r.tool).test(tool)) return false;
  } else if (!(r.tool === tool || (r.tool === 'Edit' && EDIT_TOOLS.has(tool)))) return false;
  const spec = r.spec;
  if (spec === null) return true;
  switch (spec.kind) {
    case 'command':
      return new RegExp(spec.re, 's').test(str(i.command).trim());
    case 'path': {
      const file = str(i.file_path) || str(i.notebook_path) || str(i.path);
      return file !== '' && globMatcher(spec.globs, ctx)(resolve(ctx.cwd, file));
    }
    case 'domain': {
      let host: string;
      try {
        host = new URL(str(i.url)).hostname.toLowerCase();
      } catch {
        return false;
      }
      return spec.host.startsWith('*.') ? host.endsWith(spec.host.slice(1)) : host === spec.host;
    }
    case 'opaque':
      return false;
  }
}
