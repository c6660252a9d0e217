/**
 * The world the guard corpus runs in, built from real files: a worktree on branch `task` with a .env, a
 * key file and agency's own files; a fake home with ~/.ssh keys, ~/.aws credentials and ~/.agency/node.env;
 * a folder outside with something precious in it; the session's temporary folder; and a bare remote that
 * the repository pushes to through three remotes: `origin` with remote.origin.push set to
 * `+refs/heads/*:refs/heads/*`, `backup` configured as a mirror, and `plain` with nothing configured.
 * It also has an alias `pf` for `push --force` and a shell alias `nuke`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergePolicy } from '../../src/compiler/policy.js';
import type { GuardPolicy } from '../../src/guard/policy.js';
import type { HookFile } from '../../src/registry/index.js';
import { tempDir } from '../helpers/tmp.js';

export interface CorpusWorld {
  base: string;
  root: string;
  home: string;
  outside: string;
  tmp: string;
  /** the standard guard policy of the shipped registry (or agency's base policy alone), sandboxed or not */
  policy(sandboxed: boolean, base?: boolean): GuardPolicy;
  remove(): void;
}

const STANDARD = fileURLToPath(new URL('../../registry/hooks/guard-standard.json', import.meta.url));

function put(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

export function corpusWorld(): CorpusWorld {
  const t = tempDir('agency-corpus-');
  const base = t.path;
  const root = join(base, 'wt');
  const home = join(base, 'home');
  const outside = join(base, 'outside');
  const tmp = join(base, 'tmp');
  put(join(home, '.ssh/id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\nfixture\n');
  put(join(home, '.ssh/id_ed25519.pub'), 'ssh-ed25519 AAAA fixture\n');
  put(join(home, '.ssh/known_hosts'), 'github.com ssh-ed25519 AAAA\n');
  put(join(home, '.aws/credentials'), '[default]\naws_secret_access_key = fixture\n');
  put(join(home, '.agency/node.env'), 'ANTHROPIC_API_KEY=sk-ant-fixture\n');
  put(join(home, '.agency/state.json'), '{}\n');
  // another session's worktree in the node's home: its files are not the node's secrets, its .env is one
  put(join(home, '.agency/worktrees/s-0a/notes.md'), 'notes\n');
  put(join(home, '.agency/worktrees/s-0a/.env'), 'TOKEN=fixture\n');
  put(join(home, '.bashrc'), '# rc\n');
  put(join(outside, 'precious.txt'), 'keep me\n');
  mkdirSync(tmp, { recursive: true });

  const git = (cwd: string, ...a: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...a], { cwd, stdio: 'ignore' });
  git(base, 'init', '-q', '--bare', 'remote.git');
  mkdirSync(root);
  git(root, 'init', '-q', '-b', 'main');
  put(join(root, 'README.md'), '# fixture\n');
  put(join(root, 'package.json'), '{"name":"fixture","scripts":{"test":"true","build":"true"}}\n');
  put(join(root, 'src/index.ts'), 'export const a = 1;\n');
  put(join(root, 'src/old.ts'), 'export const b = 2;\n');
  put(join(root, 'scripts/run.sh'), '#!/bin/sh\necho run\n');
  put(join(root, 'scripts/gen.py'), 'print("gen")\n');
  put(join(root, 'sub/deep/.keep'), '');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'init');
  git(root, 'switch', '-q', '-c', 'task');
  put(join(root, '.env'), 'API_TOKEN=fixture\n');
  put(join(root, '.env.example'), 'API_TOKEN=\n');
  put(join(root, 'config/app.pem'), '-----BEGIN PRIVATE KEY-----\n');
  put(join(root, 'build/log'), 'log\n');
  put(join(root, '.claude/settings.json'), '{}\n');
  put(join(root, '.claude/settings.local.json'), '{}\n');
  put(join(root, '.claude/agency/policy.json'), '{}\n');
  const config = (...a: string[]) => git(root, 'config', ...a);
  config('remote.origin.url', '../remote.git');
  config('remote.origin.push', '+refs/heads/*:refs/heads/*');
  config('remote.plain.url', '../remote.git');
  config('remote.backup.url', '../remote.git');
  config('remote.backup.mirror', 'true');
  config('alias.pf', 'push --force');
  config('alias.nuke', '!rm -rf ../outside');

  const hook = JSON.parse(readFileSync(STANDARD, 'utf8')) as HookFile;
  const files = [{ id: 'guard-standard', file: STANDARD, value: hook, lineOf: () => 1 }];
  return {
    base,
    root,
    home,
    outside,
    tmp,
    policy: (sandboxed, alone = false) =>
      mergePolicy(root, alone ? [] : files, [], { enabled: sandboxed, tmpDir: tmp }),
    remove: t.remove,
  };
}
