/** The sandbox block agency compiles into a worktree's settings, and where it goes. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyHelperCommand, sandboxSettings } from '../../src/compiler/sandbox.js';
import { planCompile } from '../../src/compiler/index.js';
import { loadRegistry, sandboxSchema, settingsSchema } from '../../src/registry/index.js';
import { agency } from '../helpers/agency.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = new URL('../fixtures/registry-min', import.meta.url).pathname;

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
});
function dir(): string {
  const t = tempDir('agency-sbx-');
  cleanup.push(t.remove);
  return t.path;
}

const policy = {
  root: '/home/op/.agency/worktrees/repo-1/s-1',
  secretPaths: [
    '.env',
    '**/*.pem',
    'secrets/**',
    '~/.ssh/**',
    '~/.aws/credentials',
    '!~/.ssh/known_hosts',
    '!~/.ssh/*.pub',
    '!.env.example',
  ],
  network: { allow: ['registry.npmjs.org', '*.github.com'], deny: ['169.254.169.254'] },
};

describe('the sandbox block', () => {
  it('turns the OS sandbox on, fails closed, and never lets a command out of it', () => {
    const s = sandboxSettings({ enabled: true }, policy);
    expect(sandboxSchema.parse(s)).toEqual(s);
    expect(s).toMatchObject({
      enabled: true,
      failIfUnavailable: true,
      allowUnsandboxedCommands: false,
      autoAllowBashIfSandboxed: false,
      network: {
        allowedDomains: ['registry.npmjs.org', '*.github.com'],
        deniedDomains: ['169.254.169.254'],
        allowAllUnixSockets: false,
        allowLocalBinding: false,
      },
    });
  });

  it('keeps the compiled context read-only and .claude a mount point, never the whole of .claude denied', () => {
    const fs = sandboxSettings({ enabled: true, tmpDir: '/tmp/agency-0/s-1' }, policy).filesystem!;
    expect(fs.allowWrite).toEqual(['.claude', '/tmp/agency-0/s-1']);
    expect(fs.denyWrite).toEqual(
      expect.arrayContaining(['.claude/settings.json', '.claude/settings.local.json', '.claude/agents']),
    );
    expect(fs.denyWrite).toEqual(expect.arrayContaining(['.claude/agency', '.mcp.json', 'CLAUDE.md', '/tmp/claude']));
    expect(fs.denyWrite).not.toContain('.claude');
  });

  it('denies reading the node, keys and credentials, and the secret paths it can deny without walking folders', () => {
    const fs = sandboxSettings({ enabled: true, nodeHome: '/home/op/.agency' }, policy).filesystem!;
    expect(fs.denyRead).toEqual([
      '~/.agency',
      '~/.ssh',
      '~/.aws',
      '~/.config/gh',
      '~/.claude.json',
      '/home/op/.agency',
      '.env',
      'secrets',
    ]);
    // the policy's exceptions inside what is denied, and the session's own worktree inside the node's home
    expect(fs.allowRead).toEqual(['~/.ssh/known_hosts', policy.root]);
  });

  it("denies reading the node's further secret files, and names them to the guard with the node's own", () => {
    const o = { enabled: true, nodeHome: '/srv/ag', secretFiles: ['/srv/claude/.credentials.json'] };
    expect(sandboxSettings(o, policy).filesystem!.denyRead).toEqual(
      expect.arrayContaining(['/srv/ag', '/srv/claude/.credentials.json']),
    );
    const reg = loadRegistry(MIN);
    const { policy: guarded } = planCompile(
      reg,
      { discipline: 'backend', task: 'x' },
      '/w',
      { node: '/n', guard: '/g' },
      o,
    );
    // the node homes first, each with its worktrees excepted, so that later patterns (.env) apply in them
    expect(guarded.secretPaths.slice(0, 5)).toEqual([
      '~/.agency',
      '!~/.agency/worktrees/**',
      '/srv/ag',
      '!/srv/ag/worktrees/**',
      '/srv/claude/.credentials.json',
    ]);
  });

  it('re-allows no worktree outside the node home', () => {
    const fs = sandboxSettings({ enabled: true, nodeHome: '/srv/agency' }, policy).filesystem!;
    expect(fs.allowRead).toEqual(['~/.ssh/known_hosts']);
  });

  it('unsets the key variables and the node secret variables for every sandboxed command', () => {
    const s = sandboxSettings({ enabled: true, secretEnv: ['ZZ_TOKEN', 'ANTHROPIC_API_KEY', 'DB_PASSWORD'] }, policy);
    const names = s.credentials!.envVars!.map((v) => v.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(
      expect.arrayContaining(['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ZZ_TOKEN', 'DB_PASSWORD']),
    );
    expect(new Set(names).size).toBe(names.length);
    expect(s.credentials!.envVars!.every((v) => v.mode === 'deny')).toBe(true);
  });

  it('is only turned off where the node was opted out', () => {
    expect(sandboxSettings({ enabled: false, tmpDir: '/tmp/x' }, policy)).toEqual({ enabled: false });
  });

  it('the key helper prints the key from its file with shell builtins, and fails when the file is missing', () => {
    const d = dir();
    const file = join(d, "it's the key");
    writeFileSync(file, 'sk-ant-example-key\n');
    const run = (f: string) =>
      execFileSync('/bin/sh', ['-c', keyHelperCommand(f)], { env: {}, encoding: 'utf8', stdio: 'pipe' });
    expect(run(file)).toBe('sk-ant-example-key\n');
    expect(() => run(join(d, 'missing'))).toThrow();
  });
});

describe('agency compile', () => {
  it('puts the sandbox in settings.local.json, the highest project file, and replaces one the user had there', () => {
    const d = dir();
    execFileSync('git', ['init', '-q', d]);
    mkdirSync(join(d, '.claude'));
    writeFileSync(
      join(d, '.claude/settings.local.json'),
      JSON.stringify({
        sandbox: { enabled: false, filesystem: { allowWrite: ['/'] } },
        permissions: { allow: ['Read'] },
      }),
    );
    const r = agency(['compile', '--discipline', 'backend', '--task', 'x', '--dir', d, '--registry', MIN]);
    expect(r.code, r.stderr).toBe(0);
    const local = settingsSchema.parse(JSON.parse(readFileSync(join(d, '.claude/settings.local.json'), 'utf8')));
    expect(local.sandbox).toMatchObject({ enabled: true, failIfUnavailable: true, allowUnsandboxedCommands: false });
    expect(local.sandbox!.filesystem!.allowWrite).toEqual(['.claude']);
    expect(local.permissions!.allow).toContain('Read');
    // agency compile runs no node: no key helper, no node home
    expect(local.apiKeyHelper).toBeUndefined();
    const shared = JSON.parse(readFileSync(join(d, '.claude/settings.json'), 'utf8'));
    expect(shared.sandbox).toBeUndefined();
  });
});
