/**
 * `agency open` of a session on a remote node prints the ssh command that opens a shell in its worktree.
 * The command is checked by a real shell: parsed as the operator's shell parses it (ssh stood in for by a
 * function that prints its arguments), and its remote part run as the node's login shell would run it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshCommand } from '../../src/cli/landing-commands.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('agency-open-');
const saved = process.env.AGENCY_CONFIG;
beforeAll(() => {
  process.env.AGENCY_CONFIG = join(dir.path, 'config.json');
  writeFileSync(
    process.env.AGENCY_CONFIG,
    JSON.stringify({
      nodes: [
        { name: 'studio-01', host: '10.0.0.11', user: 'ops', port: 2222, identityFile: '/keys/id ed25519' },
        { name: 'studio-02', ssh: 'studio-02' },
        { name: 'here', local: true },
      ],
    }),
  );
});
afterAll(() => {
  if (saved === undefined) delete process.env.AGENCY_CONFIG;
  else process.env.AGENCY_CONFIG = saved;
  dir.remove();
});

/** The arguments ssh would get from the command line, as sh splits it. */
function sshArgs(command: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `ssh() { printf '%s\\0' "$@"; }; ${command}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('agency open on a remote node', () => {
  it('gives an ssh command whose remote part opens a login shell in the worktree', () => {
    const worktree = join(dir.path, "work tree's $HOME");
    mkdirSync(worktree);
    const command = sshCommand('studio-01', worktree)!;
    const args = sshArgs(command);
    expect(args.slice(0, -1)).toEqual(['-t', '-p', '2222', '-i', '/keys/id ed25519', 'ops@10.0.0.11']);
    // the node's side: sshd hands the remote command to the user's shell
    const shell = join(dir.path, 'login-shell');
    writeFileSync(shell, `#!/bin/sh\nprintf '%s %s' "$PWD" "$1"\n`);
    chmodSync(shell, 0o755);
    const seen = execFileSync('/bin/sh', ['-c', args.at(-1)!], {
      encoding: 'utf8',
      env: { ...process.env, SHELL: shell },
    });
    expect(seen).toBe(`${worktree} -l`);
  });

  it('uses the ssh alias of a node configured by one, and has none for a local node', () => {
    expect(sshArgs(sshCommand('studio-02', '/srv/wt/s-1')!)).toEqual([
      '-t',
      'studio-02',
      `cd /srv/wt/s-1 && exec "\${SHELL:-/bin/sh}" -l`,
    ]);
    expect(sshCommand('here', '/srv/wt/s-1')).toBeNull();
    expect(sshCommand('not-configured', '/srv/wt/s-1')).toBeNull();
  });
});
