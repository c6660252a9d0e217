/**
 * A compile writes all of its files or none: a failure part way leaves the folder as it was, and the next
 * compile is not misled by anything the failed one wrote. What cannot be written is named in one line.
 * A task claude could not be given is refused before anything is written.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile as compileCommand } from '../../src/cli/compile.js';
import { run as runCommand } from '../../src/cli/session-commands.js';
import { agency } from '../helpers/agency.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = new URL('../fixtures/registry-min', import.meta.url).pathname;
const defer = deferAfterEach();

function repo(): string {
  const t = tempDir('agency-atomic-');
  defer(t.remove);
  execFileSync('git', ['init', '-q', t.path]);
  return t.path;
}

const compile = (dir: string, task = 'fix the api', extra: string[] = []) =>
  agency(['compile', '--discipline', 'backend', '--task', task, '--dir', dir, '--registry', MIN, ...extra]);

/** Every path under dir (but .git), folders with a trailing slash, with the contents of files. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[`${relative(dir, p)}/`] = '';
        walk(p);
      } else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/**
 * A folder nothing can be created in or renamed out of: for root, whom permissions do not stop, an
 * immutable folder (chattr +i); for anyone else, one without write permission.
 */
function unwritable(dir: string): void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', dir]);
    defer(() => execFileSync('chattr', ['-i', dir]));
  } else {
    chmodSync(dir, 0o555);
    defer(() => chmodSync(dir, 0o755));
  }
}
const refusal = process.getuid?.() === 0 ? 'the operation is not permitted' : 'permission denied';

describe('an atomic compile', () => {
  it('that fails part way leaves the folder as it was, and the next compile writes everything', () => {
    const dir = repo();
    // the user's own agent: compiling puts agency's agents beside it, in a folder that turns out unwritable
    mkdirSync(join(dir, '.claude', 'agents'), { recursive: true });
    writeFileSync(join(dir, '.claude', 'agents', 'mine.md'), 'my agent\n');
    writeFileSync(join(dir, 'README.md'), 'hello\n');
    const before = tree(dir);
    unwritable(join(dir, '.claude', 'agents'));

    const r = compile(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^agency: cannot write \\.claude/agents/\\S+\\.md in ${dir}: ${refusal}.*; nothing was changed there\\n$`,
      ),
    );
    // CLAUDE.md is written first; the failure came later, and took it back with everything else
    expect(tree(dir)).toEqual(before);
    expect(existsSync(join(dir, 'CLAUDE.md'))).toBe(false);

    // writable again, for the second compile
    if (process.getuid?.() === 0) execFileSync('chattr', ['-i', join(dir, '.claude', 'agents')]);
    else chmodSync(join(dir, '.claude', 'agents'), 0o755);
    const again = compile(dir, 'fix the api', ['--json']);
    expect(again.code, again.stderr).toBe(0);
    const actions = Object.fromEntries(
      (JSON.parse(again.stdout).files as { path: string; action: string }[]).map((f) => [f.path, f.action]),
    );
    expect(actions['CLAUDE.md']).toBe('created');
    expect(Object.values(actions)).not.toContain('kept');
    expect(readFileSync(join(dir, 'CLAUDE.md'), 'utf8')).toContain('fix the api');
    expect(readdirSync(dir).filter((n) => n.startsWith('.agency-staging-'))).toEqual([]);
  });

  it('refuses a target that is a folder before it writes anything', () => {
    const dir = repo();
    mkdirSync(join(dir, '.mcp.json'));
    const r = compile(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `agency: cannot write .mcp.json: ${join(dir, '.mcp.json')} exists and is not a regular file\n`,
    );
    expect(tree(dir)).toEqual({ '.mcp.json/': '' });
  });

  it('names an unwritable folder in one line, exits 1, and shows no stack', () => {
    const dir = repo();
    unwritable(dir);
    const r = compile(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^agency: cannot write into ${dir}: ${refusal}.*; nothing was changed there\\n$`),
    );
    expect(readdirSync(dir)).toEqual(['.git']);
  });

  it('removes a staging folder a killed compile left behind', () => {
    const dir = repo();
    // no process has this pid (it is above the largest Linux allows)
    const left = join(dir, '.agency-staging-4194305-abcdef');
    mkdirSync(left);
    writeFileSync(join(left, 'new-0'), 'half a compile');
    expect(compile(dir).code).toBe(0);
    expect(existsSync(left)).toBe(false);
  });
});

describe('a task claude could not be given', () => {
  const big = 'x'.repeat(110 * 1024);

  // no command line can carry a NUL (the kernel ends an argument there), so the commands are called as the CLI calls them
  it('with a NUL is refused by run and compile, naming it, before anything is asked or written', async () => {
    const dir = repo();
    const task = 'fix the api\u0000 and then the rest';
    const message = 'the task contains a NUL character, which no program can be given in an argument; remove it';
    expect(() => compileCommand({ task, dir, discipline: 'backend', registry: MIN })).toThrow(message);
    await expect(runCommand(task, { discipline: 'backend', repo: dir, node: 'nowhere' })).rejects.toThrow(message);
    expect(readdirSync(dir)).toEqual(['.git']);
  });

  it('is refused by compile before anything is written', () => {
    const dir = repo();
    const r = compile(dir, big);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'agency: the task is 110 KB, over the limit of 100 KB (claude is given it as one argument); put the details in a file in the repository and name that file in the task\n',
    );
    expect(readdirSync(dir)).toEqual(['.git']);
  });

  it('is refused by run before any node is asked, so no worktree or branch is made', () => {
    const dir = repo();
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' });
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'init');
    const branches = git('branch', '--list');
    const home = join(dir, 'agency-home');
    const r = agency(['run', big, '--discipline', 'backend', '--repo', dir], {
      env: { ...process.env, AGENCY_HOME: home, AGENCY_CONFIG: join(dir, 'config.json') },
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agency: the task is 110 KB, over the limit of 100 KB');
    // no node was started (it would have made its home), and the repository has no new branch
    expect(existsSync(home)).toBe(false);
    expect(git('branch', '--list')).toBe(branches);
    expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1);
  });
});
