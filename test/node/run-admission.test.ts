/** `run` on the node refuses, before anything is made, a node with no key or login and a repository it cannot use. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { admitRun, type RunNode } from '../../src/node/run-request.js';
import { RemoteError } from '../../src/protocol/connection.js';
import type { NodeInfo } from '../../src/protocol/messages.js';
import { MIN_REGISTRY } from '../helpers/node.js';
import { tempDir } from '../helpers/tmp.js';

let dir: ReturnType<typeof tempDir> | null = null;
afterEach(() => dir?.remove());

const IDENTITY = {
  GIT_AUTHOR_NAME: 'A',
  GIT_AUTHOR_EMAIL: 'a@x.invalid',
  GIT_COMMITTER_NAME: 'A',
  GIT_COMMITTER_EMAIL: 'a@x.invalid',
};

function node(env: NodeJS.ProcessEnv): { node: RunNode; repo: string; home: string } {
  dir = tempDir('agency-admit-');
  const global = join(dir.path, 'gitconfig');
  writeFileSync(global, '[user]\n\tuseConfigOnly = true\n');
  const full = { PATH: process.env.PATH, HOME: dir.path, GIT_CONFIG_GLOBAL: global, GIT_CONFIG_NOSYSTEM: '1', ...env };
  const repo = join(dir.path, 'repo');
  execFileSync('git', ['init', '-q', repo], { env: full });
  const info = { name: 'studio-01', sandbox: { mode: 'off' } } as NodeInfo;
  return {
    node: {
      info,
      claudeBin: process.execPath,
      registryDir: MIN_REGISTRY,
      env: full,
      nodeEnvFile: '/n/node.env',
      // the credentials file, as on Linux: not a keychain of the user running the tests
      loginProbe: { platform: 'linux', keychainHas: () => true },
    },
    repo,
    home: dir.path,
  };
}

async function refusal(p: Promise<unknown>): Promise<RemoteError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RemoteError);
  return e as RemoteError;
}

const run = (repo: string) => ({ task: 'add an endpoint', repo, discipline: 'backend' });

describe('admitRun', () => {
  it('no key and no login: refused, saying where the key goes; the node info says what it found', async () => {
    const n = node(IDENTITY);
    const e = await refusal(admitRun(n.node, run(n.repo)));
    expect(e.code).toBe('failed');
    expect(e.message).toMatch(
      /^node studio-01 has no API key and no Claude Code login, so a session there could not reach the API: /,
    );
    expect(e.message).toContain('put ANTHROPIC_API_KEY=<your key> in /n/node.env and run `agency node stop` there');
    expect(n.node.info.auth).toEqual({ key: false, login: false });
    expect(readdirSync(n.home).sort()).toEqual(['gitconfig', 'repo']);
  });

  it('a login of the node user counts; so does a key', async () => {
    const n = node(IDENTITY);
    mkdirSync(join(n.home, '.claude'));
    writeFileSync(join(n.home, '.claude', '.credentials.json'), '{}');
    await expect(admitRun(n.node, run(n.repo))).resolves.toMatchObject({ discipline: 'backend' });
    expect(n.node.info.auth).toEqual({ key: false, login: true });
    const k = node({ ...IDENTITY, ANTHROPIC_API_KEY: 'sk-test' });
    await expect(admitRun(k.node, run(k.repo))).resolves.toMatchObject({ discipline: 'backend' });
    expect(k.node.info.auth).toEqual({ key: true, login: false });
  });

  it("a repository that is not there, or not a git repository: the caller's mistake (bad-request)", async () => {
    const n = node({ ...IDENTITY, ANTHROPIC_API_KEY: 'sk-test' });
    const missing = await refusal(admitRun(n.node, run(join(n.home, 'nope'))));
    expect(missing).toMatchObject({ code: 'bad-request' });
    expect(missing.message).toContain('nope does not exist');
    mkdirSync(join(n.home, 'plain'));
    const plain = await refusal(admitRun(n.node, run(join(n.home, 'plain'))));
    expect(plain.message).toContain('is not inside a git repository');
  });

  it("git cannot name a commit's author there: refused, with the commands that set it", async () => {
    const n = node({ ANTHROPIC_API_KEY: 'sk-test' });
    const e = await refusal(admitRun(n.node, run(n.repo)));
    expect(e.code).toBe('failed');
    expect(e.message).toMatch(/^node studio-01: git cannot name the author of a commit in /);
    expect(e.message).toContain('git config --global user.email');
  });
});
