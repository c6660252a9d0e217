/**
 * Where Claude Code keeps a login made with `/login` (or `claude setup-token`), so that agency can tell
 * whether a machine has one without running claude: `CLAUDE_CODE_OAUTH_TOKEN` in the environment, the
 * OAuth entry of `.credentials.json` in Claude Code's config folder (CLAUDE_CONFIG_DIR, or ~/.claude), or
 * on macOS the login keychain's "Claude Code-credentials" item. Nothing is read out but whether it is there.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Claude Code's config folder: CLAUDE_CONFIG_DIR, or ~/.claude. */
export function claudeConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude');
}

const KEYCHAIN_ITEM = 'Claude Code-credentials';

/** Where the login is (for the operator to read), or null when there is none. */
export function claudeLogin(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | null {
  if ((env.CLAUDE_CODE_OAUTH_TOKEN ?? '').trim() !== '') return 'CLAUDE_CODE_OAUTH_TOKEN';
  const file = join(claudeConfigDir(env), '.credentials.json');
  try {
    const oauth = (JSON.parse(readFileSync(file, 'utf8')) as { claudeAiOauth?: Record<string, unknown> }).claudeAiOauth;
    if (oauth && (typeof oauth.accessToken === 'string' || typeof oauth.refreshToken === 'string')) return file;
  } catch {
    // none, or not one Claude Code wrote
  }
  if (platform === 'darwin') {
    const r = spawnSync('/usr/bin/security', ['find-generic-password', '-s', KEYCHAIN_ITEM], {
      stdio: 'ignore',
      timeout: 5000,
    });
    if (r.status === 0) return `the macOS keychain (${KEYCHAIN_ITEM})`;
  }
  return null;
}
