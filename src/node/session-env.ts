/**
 * What a session's claude gets from its node: its environment, its temporary folder, and how its context is
 * compiled (the sandbox, the key helper). No secret is in the environment Bash inherits: the API key
 * reaches Claude Code through the compiled apiKeyHelper, which reads the node's private key file, and the
 * sandbox unsets every other secret-looking variable for what it runs.
 */
import { realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompileOptions, HookPrograms, VpContext } from '../compiler/index.js';
import type { NodePaths } from '../paths/node-home.js';
import type { NodeInfo } from '../protocol/messages.js';
import { prepareClaudeState } from '../session/claude-state.js';
import { secretVariables } from '../protocol/secret-env.js';
import { sessionTmpDir } from './session-tmp.js';

export { isSecretVariable, secretVariables } from '../protocol/secret-env.js';

/** The variables that authenticate Claude Code itself: served by the key helper, never in a session's environment. */
export const KEY_VARIABLES = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'] as const;

/** Where the node keeps the key its sessions use: its private run folder, which no sandbox can read. */
export const keyFilePath = (paths: NodePaths) => join(paths.runDir, 'api-key');

/** The key the node gives its sessions: its API key, else its auth token (a key helper's output is sent as both). */
function nodeKey(env: NodeJS.ProcessEnv): string {
  const key = (env.ANTHROPIC_API_KEY || env.ANTHROPIC_AUTH_TOKEN || '').trim();
  return /[\r\n\0]/.test(key) ? '' : key;
}

export const hasKey = (env: NodeJS.ProcessEnv) => nodeKey(env) !== '';

/**
 * Writes the node's key to its key file (owner-only, replaced atomically), or removes the file when the
 * node has none. The daemon does this when it starts, from its environment and node.env; sessions read
 * it through the key helper, also while the daemon is away.
 */
export function writeKeyFile(paths: NodePaths, env: NodeJS.ProcessEnv): boolean {
  const file = keyFilePath(paths);
  const key = nodeKey(env);
  if (!key) {
    rmSync(file, { force: true });
    return false;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, `${key}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
  return true;
}

export interface SessionNode {
  paths: NodePaths;
  info: NodeInfo;
  /** the node's environment (its own and node.env's) */
  env: NodeJS.ProcessEnv;
}

/**
 * How a context is compiled on this node for whatever runs claude in tmpDir (a session, a worker): in the
 * sandbox unless the node was opted out, with the key helper when the node has a key.
 */
export function nodeCompileOptions(node: SessionNode, programs: HookPrograms, tmpDir: string): CompileOptions {
  return {
    programs: { ...programs, ...(hasKey(node.env) ? { keyFile: keyFilePath(node.paths) } : {}) },
    sandbox: {
      enabled: node.info.sandbox?.mode !== 'off',
      tmpDir,
      nodeHome: realpathSync(node.paths.home),
      secretEnv: secretVariables(node.env),
      ...(node.env.CLAUDE_CONFIG_DIR
        ? {
            secretFiles: ['.claude.json', '.credentials.json'].map((f) => join(node.env.CLAUDE_CONFIG_DIR!, f)),
          }
        : {}),
    },
  };
}

/**
 * How a session's context is compiled: as nodeCompileOptions, with its hooks reporting to the node under its
 * token, and the VP it works for named in its CLAUDE.md.
 */
export function sessionCompileOptions(
  node: SessionNode,
  programs: HookPrograms,
  session: { id: string; token: string },
  vp: VpContext | null = null,
): CompileOptions {
  const o = nodeCompileOptions(node, programs, sessionTmpDir(node.paths, session.id));
  return {
    ...o,
    programs: { ...o.programs, session: { socket: node.paths.socket, ...session } },
    ...(vp ? { vp } : {}),
  };
}

/**
 * How often Claude Code retries a request the API refused, unless the node's environment says otherwise
 * (CLAUDE_CODE_MAX_RETRIES in node.env). Its own default, 10 with a growing wait, keeps a session whose key
 * is refused or that is rate-limited looking busy for minutes; 3 rides out a blip of a few seconds, and
 * then the turn ends with the error, which the node reports (api-refusals.ts).
 */
export const SESSION_MAX_RETRIES = 3;

/**
 * The environment of a session's claude: the node's, without the key variables (the key helper serves
 * them) and without a parent Claude Code's marker; with the session's temporary folder as Claude Code's
 * and its commands' (TMPDIR, CLAUDE_CODE_TMPDIR), and its retries bounded (SESSION_MAX_RETRIES). Other secrets stay for what runs outside the sandbox
 * (MCP servers' `${VAR}` references), and the sandbox unsets them for Bash. The hooks find the node
 * through their compiled command line (the session's token with it), not through this environment.
 */
export function sessionEnv(node: SessionNode, session: { id: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...node.env,
    TERM: 'xterm-256color',
  };
  env.CLAUDE_CODE_MAX_RETRIES ??= String(SESSION_MAX_RETRIES);
  try {
    env.TMPDIR = env.CLAUDE_CODE_TMPDIR = sessionTmpDir(node.paths, session.id);
  } catch (e) {
    // Claude Code's own private temporary folder serves then; the sandbox holds all the same
    process.stderr.write(`agency node: ${session.id}: ${(e as Error).message}\n`);
  }
  delete env.CLAUDECODE;
  if (hasKey(node.env)) for (const k of KEY_VARIABLES) delete env[k];
  return env;
}

/**
 * The environment a session's claude starts in, with Claude Code's own state prepared for it (onboarding
 * done, the worktree trusted, the key helper's key approved) unless the node is told not to.
 */
export function launchEnv(node: SessionNode, id: string, worktree: string): NodeJS.ProcessEnv {
  const env = sessionEnv(node, { id });
  if (node.env.AGENCY_PREPARE_CLAUDE !== '0')
    try {
      const changes = prepareClaudeState({ trust: [worktree], env, keyHelper: hasKey(node.env) });
      if (changes.length) process.stderr.write(`agency node: ${id}: ${changes.join('; ')}\n`);
    } catch (e) {
      process.stderr.write(`agency node: ${id}: ${(e as Error).message}\n`);
    }
  return env;
}
