/** What a node gives its sessions: an environment without the key, a private temporary folder, the key file. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodePaths } from '../../src/paths/node-home.js';
import {
  isSecretVariable,
  keyFilePath,
  secretVariables,
  sessionCompileOptions,
  sessionEnv,
  writeKeyFile,
  type SessionNode,
} from '../../src/node/session-env.js';
import { pruneSessionTmpDirs, removeSessionTmpDir } from '../../src/node/session-tmp.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ag-senv-');
const made: SessionNode[] = [];
afterAll(() => {
  for (const n of made) pruneSessionTmpDirs(n.paths, () => false);
  dir.remove();
});

function node(env: NodeJS.ProcessEnv, mode: 'on' | 'off' = 'on'): SessionNode {
  const paths = nodePaths(join(dir.path, `home-${Math.random().toString(36).slice(2)}`));
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
  const n: SessionNode = {
    paths,
    env,
    info: {
      name: 'n1',
      agentVersion: '0.1.0',
      build: 'dev',
      protocol: 1,
      host: 'h',
      platform: 'linux-x64',
      pid: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
      sandbox: { mode },
    },
  };
  made.push(n);
  return n;
}

describe('secret variables', () => {
  it('are named by a word of the name, not by letters inside one', () => {
    for (const k of [
      'ANTHROPIC_API_KEY',
      'ANTHROPIC_AUTH_TOKEN',
      'GITHUB_PERSONAL_ACCESS_TOKEN',
      'DB_PASSWORD',
      'AWS_SECRET_ACCESS_KEY',
      'npm_config__auth',
      'SSH_AUTH_SOCK',
    ])
      expect(isSecretVariable(k), k).toBe(true);
    for (const k of [
      'GIT_AUTHOR_NAME',
      'HOME',
      'PATH',
      'KEYBOARD_LAYOUT',
      'MONKEY',
      'TOKENIZER_DIR',
      'AGENCY_SESSION_ID',
    ])
      expect(isSecretVariable(k), k).toBe(false);
    expect(secretVariables({ B_TOKEN: 'x', A_KEY: 'y', HOME: '/h', GONE_TOKEN: undefined })).toEqual([
      'A_KEY',
      'B_TOKEN',
    ]);
  });
});

describe('a session environment', () => {
  it('has no key variable when the node has a key, keeps other secrets for MCP servers, and a private TMPDIR', () => {
    const n = node({
      ANTHROPIC_API_KEY: 'sk-ant-x',
      ANTHROPIC_AUTH_TOKEN: 't',
      GH_TOKEN: 'g',
      CLAUDECODE: '1',
      HOME: '/h',
    });
    const env = sessionEnv(n, { id: 's-abc' });
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(env.ANTHROPIC_AUTH_TOKEN).toBeUndefined();
    expect(env.CLAUDECODE).toBeUndefined();
    expect(env.GH_TOKEN).toBe('g');
    expect(env.HOME).toBe('/h');
    // the hooks find the node through their compiled command line, not through the session's environment
    expect(env.AGENCY_SESSION_ID).toBeUndefined();
    expect(env.AGENCY_SOCKET).toBeUndefined();
    expect(env.TMPDIR).toBe(env.CLAUDE_CODE_TMPDIR);
    expect(env.TMPDIR).toMatch(/\/agency-\d+\/[0-9a-f]{8}\/s-abc$/);
    for (const d of [env.TMPDIR!, join(env.TMPDIR!, '..'), join(env.TMPDIR!, '../..')])
      expect(statSync(d).mode & 0o777, d).toBe(0o700);
    // another node of the same user has folders of its own
    const otherNode = node({});
    const other = sessionEnv(otherNode, { id: 's-abc' });
    expect(other.TMPDIR).not.toBe(env.TMPDIR);
    removeSessionTmpDir(n.paths, 's-abc');
    expect(existsSync(env.TMPDIR!)).toBe(false);
    expect(existsSync(other.TMPDIR!)).toBe(true);
    sessionEnv(n, { id: 's-live' });
    sessionEnv(n, { id: 's-ended' });
    pruneSessionTmpDirs(n.paths, (id) => id === 's-live');
    expect(readdirSync(join(env.TMPDIR!, '..'))).toEqual(['s-live']);
    pruneSessionTmpDirs(n.paths, () => false);
    expect(existsSync(join(env.TMPDIR!, '..'))).toBe(false);
    expect(existsSync(other.TMPDIR!)).toBe(true);
    pruneSessionTmpDirs(otherNode.paths, () => false);
  });

  it('compiles the sandbox with the node home, its temporary folder and secret names, and the key helper', () => {
    const n = node({ ANTHROPIC_API_KEY: 'sk-ant-x', GH_TOKEN: 'g', HOME: '/h' });
    mkdirSync(n.paths.home, { recursive: true });
    const o = sessionCompileOptions(n, { node: '/n', guard: '/g' }, { id: 's-def', token: 't0' });
    expect(o.programs.session).toEqual({ socket: n.paths.socket, id: 's-def', token: 't0' });
    expect(o.programs.keyFile).toBe(keyFilePath(n.paths));
    expect(o.sandbox).toMatchObject({ enabled: true, secretEnv: ['ANTHROPIC_API_KEY', 'GH_TOKEN'] });
    expect(o.sandbox!.tmpDir).toMatch(/\/s-def$/);
    expect(o.sandbox!.secretFiles).toBeUndefined();
    const moved = sessionCompileOptions(
      node({ CLAUDE_CONFIG_DIR: '/cfg' }),
      { node: '/n', guard: '/g' },
      { id: 's-c', token: 't1' },
    );
    expect(moved.sandbox!.secretFiles).toEqual(['/cfg/.claude.json', '/cfg/.credentials.json']);
    const off = sessionCompileOptions(
      { ...node({ HOME: '/h' }, 'off') },
      { node: '/n', guard: '/g' },
      { id: 's-x', token: 't2' },
    );
    expect(off.sandbox!.enabled).toBe(false);
    expect(off.programs.keyFile).toBeUndefined();
  });

  it('the key file holds the key for its owner only, and goes when the node has no key', () => {
    const n = node({});
    expect(writeKeyFile(n.paths, { ANTHROPIC_API_KEY: ' sk-ant-file ' })).toBe(true);
    expect(readFileSync(keyFilePath(n.paths), 'utf8')).toBe('sk-ant-file\n');
    expect(statSync(keyFilePath(n.paths)).mode & 0o777).toBe(0o600);
    expect(writeKeyFile(n.paths, { ANTHROPIC_AUTH_TOKEN: 'tok' })).toBe(true);
    expect(readFileSync(keyFilePath(n.paths), 'utf8')).toBe('tok\n');
    expect(writeKeyFile(n.paths, {})).toBe(false);
    expect(() => statSync(keyFilePath(n.paths))).toThrow();
  });
});
