/** Whether Claude Code has a login of its own: a token, a cloud provider, saved credentials, the macOS keychain. */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hasClaudeLogin, keychainService, type LoginProbe } from '../../src/session/claude-login.js';
import { tempDir } from '../helpers/tmp.js';

let dir: ReturnType<typeof tempDir> | null = null;
afterEach(() => dir?.remove());

const linux: LoginProbe = { platform: 'linux', keychainHas: () => true };

function home(): { HOME: string } {
  dir = tempDir('agency-login-');
  return { HOME: dir.path };
}

describe('hasClaudeLogin', () => {
  it('nothing at all: no login', () => {
    expect(hasClaudeLogin(home(), linux)).toBe(false);
  });

  it('a subscription token in the environment, or a cloud provider switched on', () => {
    expect(hasClaudeLogin({ ...home(), CLAUDE_CODE_OAUTH_TOKEN: 'tok' }, linux)).toBe(true);
    expect(hasClaudeLogin({ ...home(), CLAUDE_CODE_USE_BEDROCK: '1' }, linux)).toBe(true);
    expect(hasClaudeLogin({ ...home(), CLAUDE_CODE_USE_VERTEX: '0', CLAUDE_CODE_OAUTH_TOKEN: ' ' }, linux)).toBe(false);
  });

  it('credentials saved at /login, in ~/.claude or in CLAUDE_CONFIG_DIR', () => {
    const env = home();
    mkdirSync(join(env.HOME, '.claude'));
    writeFileSync(join(env.HOME, '.claude', '.credentials.json'), '');
    expect(hasClaudeLogin(env, linux)).toBe(false);
    writeFileSync(join(env.HOME, '.claude', '.credentials.json'), '{"claudeAiOauth":{}}');
    expect(hasClaudeLogin(env, linux)).toBe(true);
    const moved = join(env.HOME, 'cfg');
    expect(hasClaudeLogin({ ...env, CLAUDE_CONFIG_DIR: moved }, linux)).toBe(false);
    mkdirSync(moved);
    writeFileSync(join(moved, '.credentials.json'), '{}');
    expect(hasClaudeLogin({ ...env, CLAUDE_CONFIG_DIR: moved }, linux)).toBe(true);
  });

  it('on macOS, the keychain item Claude Code saves its login in', () => {
    const asked: string[] = [];
    const mac = (has: boolean): LoginProbe => ({ platform: 'darwin', keychainHas: (s) => (asked.push(s), has) });
    const env = home();
    expect(hasClaudeLogin(env, mac(false))).toBe(false);
    expect(hasClaudeLogin(env, mac(true))).toBe(true);
    expect(asked).toEqual(['Claude Code-credentials', 'Claude Code-credentials']);
  });

  it('the keychain service of a moved config folder carries its hash, as Claude Code 2.1.197 names it', () => {
    const hash = createHash('sha256').update('/srv/claude').digest('hex').slice(0, 8);
    expect(keychainService({ CLAUDE_CONFIG_DIR: '/srv/claude' })).toBe(`Claude Code-credentials-${hash}`);
    expect(keychainService({})).toBe('Claude Code-credentials');
  });
});
