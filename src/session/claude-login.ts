/**
 * Whether Claude Code, run by this user with this environment, has a login of its own to reach the API with
 * (besides an API key or auth token in the environment, which the node serves itself): a subscription token in
 * the environment, the credentials Claude Code saved at /login (`.credentials.json` in its config folder; on
 * macOS an item in the login keychain), or a cloud provider it is set to use (Bedrock, Vertex, Foundry),
 * which brings its own credentials. Nothing is read from the credentials: only whether they are there.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

const PROVIDERS = ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY'];

export interface LoginProbe {
  platform: NodeJS.Platform;
  /** whether the login keychain holds a generic password for this service (macOS) */
  keychainHas(service: string): boolean;
}

const keychainHas = (service: string): boolean => {
  let account = 'claude-code-user';
  try {
    account = process.env.USER || userInfo().username;
  } catch {
    // no such user: Claude Code uses the same fallback name
  }
  // without -w: the answer is whether the item exists, never its secret
  const r = spawnSync('security', ['find-generic-password', '-a', account, '-s', service], {
    stdio: 'ignore',
    timeout: 5000,
  });
  return r.status === 0;
};

const SYSTEM: LoginProbe = { platform: process.platform, keychainHas };

/** Claude Code's config folder for this environment. */
export function claudeConfigDir(env: NodeJS.ProcessEnv): string {
  return env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude');
}

/**
 * The keychain service Claude Code 2.1.197 keeps its login under: `Claude Code-credentials`, with the first
 * 8 hex digits of the config folder's sha256 added when CLAUDE_CONFIG_DIR moves it.
 */
export function keychainService(env: NodeJS.ProcessEnv): string {
  const dir = env.CLAUDE_CONFIG_DIR;
  const suffix = dir ? `-${createHash('sha256').update(dir.normalize('NFC')).digest('hex').slice(0, 8)}` : '';
  return `Claude Code-credentials${suffix}`;
}

/** Where Claude Code's own login is (for the operator to read), or null when it has none. */
export function claudeLogin(env: NodeJS.ProcessEnv, probe: LoginProbe = SYSTEM): string | null {
  if (env.CLAUDE_CODE_OAUTH_TOKEN?.trim()) return 'CLAUDE_CODE_OAUTH_TOKEN';
  const provider = PROVIDERS.find((v) => env[v] && env[v] !== '0');
  if (provider) return `${provider} (its cloud provider's credentials)`;
  const file = join(claudeConfigDir(env), '.credentials.json');
  try {
    if (statSync(file).size > 0) return file;
  } catch {
    // no saved login there
  }
  const service = keychainService(env);
  return probe.platform === 'darwin' && probe.keychainHas(service) ? `the macOS keychain (${service})` : null;
}

export function hasClaudeLogin(env: NodeJS.ProcessEnv, probe: LoginProbe = SYSTEM): boolean {
  return claudeLogin(env, probe) !== null;
}
