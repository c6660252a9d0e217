/**
 * A run whose compile fails after its worktree was made leaves nothing behind: no worktree folder, no
 * branch, no worktree known to git, no include in the repository's config.
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileInto } from '../../src/compiler/index.js';
import { compiledWorktree } from '../../src/node/run-worktree.js';
import { RemoteError } from '../../src/protocol/connection.js';
import { loadRegistryAt } from '../../src/registry/index.js';
import { deferAfterEach } from '../helpers/defer.js';
import { git, userRepo } from '../helpers/git-repo.js';
import { MIN_REGISTRY } from '../helpers/node.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();
const programs = { node: process.execPath, guard: '/g.cjs', lifecycle: '/l.cjs', mcp: '/m.cjs' };

function setup() {
  const t = tempDir('agency-runwt-');
  defer(t.remove);
  const repo = userRepo(join(t.path, 'repo'));
  const reg = join(t.path, 'registry');
  cpSync(MIN_REGISTRY, reg, { recursive: true });
  return { repo, reg, under: join(t.path, 'worktrees') };
}

describe('compiledWorktree', () => {
  it('takes back the worktree and its branch when the compile throws', async () => {
    const { repo, reg, under } = setup();
    // a charter that does not render: the compile fails after the worktree is there
    writeFileSync(join(reg, 'charters', 'backend.md.hbs'), '{{#if task}}never closed\n');
    const registry = loadRegistryAt(reg, reg);
    const e = await compiledWorktree({ repo, id: 's-abc123', under }, (path) =>
      compileInto(path, registry, { discipline: 'backend', task: 'fix it' }, { programs }),
    ).then(
      () => null,
      (x: unknown) => x as RemoteError,
    );
    expect(e).toBeInstanceOf(RemoteError);
    expect(e!.code).toBe('failed');
    expect(e!.message).toContain('could not be compiled (nothing was kept)');
    expect(git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/agency').trim()).toBe('');
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).not.toContain('includeIf');
    // the folder of the repository's worktrees holds none
    expect(readdirSync(under).flatMap((d) => readdirSync(join(under, d)))).toEqual([]);
    expect(git(repo, 'status', '--porcelain').trim()).toBe('');
  });

  it('keeps the worktree of a compile that succeeds', async () => {
    const { repo, reg, under } = setup();
    const registry = loadRegistryAt(reg, reg);
    const wt = await compiledWorktree({ repo, id: 's-abc124', under }, (path) =>
      compileInto(path, registry, { discipline: 'backend', task: 'fix it' }, { programs }),
    );
    expect(existsSync(join(wt.path, 'CLAUDE.md'))).toBe(true);
    expect(git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/agency').trim()).toBe('agency/s-abc124');
  });
});
