/**
 * Claude Code's global state (`~/.claude.json`, or `$CLAUDE_CONFIG_DIR/.claude.json`), prepared before a
 * session starts so that no dialog a hook cannot answer appears: the folder is trusted, onboarding is
 * done when a key or token is there to use (in the environment, or from the node's key helper), and a key
 * in the environment is approved (one from the key helper needs no approval). The user's own
 * file is merged, never replaced, and written atomically: Claude Code itself rewrites it while it runs.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function claudeStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAUDE_CONFIG_DIR
    ? join(env.CLAUDE_CONFIG_DIR, '.claude.json')
    : join(env.HOME || homedir(), '.claude.json');
}

export interface Preparation {
  /**
   * folders to trust: a session's worktree. Trust of the worktree's own path is enough for Claude Code
   * (v2.1.197) to show no trust dialog and run the hooks; the repository's main checkout is not trusted.
   */
  trust: string[];
  env: NodeJS.ProcessEnv;
  /** the node gives Claude Code its key through the compiled apiKeyHelper (the key is not in env) */
  keyHelper?: boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

function readState(path: string): { state: Json; mode: number } {
  if (!existsSync(path)) return { state: {}, mode: 0o600 };
  const text = readFileSync(path, 'utf8');
  try {
    return { state: obj(JSON.parse(text)), mode: statSync(path).mode & 0o777 };
  } catch {
    throw new Error(
      `${path} is not valid JSON; agency will not overwrite it (fix it, or start claude once to repair it)`,
    );
  }
}

function writeState(path: string, state: Json, mode: number): void {
  const tmp = join(dirname(path), `.claude.json.agency-${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode });
  renameSync(tmp, path);
}

/** What changed, for the log (never the key itself). */
export function prepareClaudeState(p: Preparation): string[] {
  const path = claudeStatePath(p.env);
  const { state, mode } = readState(path);
  const changes: string[] = [];
  const projects = obj(state.projects);
  for (const dir of p.trust) {
    const entry = obj(projects[dir]);
    if (entry.hasTrustDialogAccepted !== true) {
      projects[dir] = { ...entry, hasTrustDialogAccepted: true };
      changes.push(`trusted ${dir}`);
    }
  }
  state.projects = projects;
  const key = p.env.ANTHROPIC_API_KEY;
  const canAuth = Boolean(p.keyHelper || key || p.env.ANTHROPIC_AUTH_TOKEN || p.env.CLAUDE_CODE_OAUTH_TOKEN);
  if (canAuth && state.hasCompletedOnboarding !== true) {
    state.hasCompletedOnboarding = true;
    changes.push(
      `marked onboarding done (${p.keyHelper ? 'the node gives its key' : 'a key or token is in the environment'})`,
    );
  }
  if (key) {
    const responses = obj(state.customApiKeyResponses);
    const approved = Array.isArray(responses.approved) ? (responses.approved as unknown[]) : [];
    const tail = key.slice(-20);
    if (!approved.includes(tail)) {
      state.customApiKeyResponses = {
        ...responses,
        approved: [...approved, tail],
        rejected: Array.isArray(responses.rejected) ? responses.rejected : [],
      };
      changes.push('approved the API key in the environment');
    }
  }
  if (changes.length > 0) writeState(path, state, mode);
  return changes;
}

/**
 * Undoes the trust prepareClaudeState gave a session's worktree once the worktree is removed: its entry
 * under `projects` goes (Claude Code keys nothing else of its own on a linked worktree's path). Returns
 * whether there was one.
 */
export function forgetTrust(dir: string, env: NodeJS.ProcessEnv): boolean {
  const path = claudeStatePath(env);
  if (!existsSync(path)) return false;
  const { state, mode } = readState(path);
  const projects = obj(state.projects);
  if (!Object.hasOwn(projects, dir)) return false;
  delete projects[dir];
  state.projects = projects;
  writeState(path, state, mode);
  return true;
}
