/** What `agency run` says besides the id: the daemon lacking the shell's key, and where the work goes next. */
import { describe, expect, it } from 'vitest';
import { keyAdvice, runDetails } from '../../src/cli/run-advice.js';
import type { LinkStatus } from '../../src/fleet/link.js';
import type { NodeInfo } from '../../src/protocol/messages.js';

const KEY = 'sk-ant-api03-shell-key-that-must-not-show';

function link(
  name: string,
  transport: 'local' | 'ssh',
  auth: NodeInfo['auth'],
  state: LinkStatus['state'] = 'up',
): LinkStatus {
  const info = {
    name,
    agentVersion: '0.1.0',
    build: 'dev',
    protocol: 1,
    host: 'h',
    platform: 'linux-x64',
    pid: 4242,
    startedAt: '2026-01-01T10:00:00.000Z',
    ...(auth ? { auth } : {}),
  } as NodeInfo;
  return { name, transport, state, error: null, info, since: info.startedAt };
}

const NONE = { key: false, login: false };

describe('keyAdvice', () => {
  it('the shell has a key, the local daemon has neither key nor login: refuse, naming the daemon and both fixes', () => {
    const a = keyAdvice([link('local', 'local', NONE)], undefined, { ANTHROPIC_API_KEY: KEY, AGENCY_HOME: '/x' });
    expect(a?.refuse).toBe(true);
    expect(a?.message).toMatch(
      /^your shell has ANTHROPIC_API_KEY, but node local's daemon \(pid 4242, running since 2026-01-01T10:00:00.000Z\) was started without a key/,
    );
    expect(a?.message).toContain('node.env, or run `agency node stop` so that the next agency command starts the node');
    expect(a?.message).not.toContain(KEY);
  });

  it('the daemon has a login: the run goes ahead on it, with a word that the key is not used', () => {
    const a = keyAdvice([link('local', 'local', { key: false, login: true })], undefined, {
      ANTHROPIC_AUTH_TOKEN: 't',
    });
    expect(a).toMatchObject({ refuse: false });
    expect(a?.message).toContain('your shell has ANTHROPIC_AUTH_TOKEN');
    expect(a?.message).toContain('its sessions use the Claude Code login of its user instead');
  });

  it('nothing to say: no key in the shell, the daemon has one, or the run goes to a remote node', () => {
    expect(keyAdvice([link('local', 'local', NONE)], undefined, {})).toBeNull();
    expect(keyAdvice([link('local', 'local', NONE)], undefined, { ANTHROPIC_API_KEY: '  ' })).toBeNull();
    expect(
      keyAdvice([link('local', 'local', { key: true, login: false })], undefined, { ANTHROPIC_API_KEY: KEY }),
    ).toBeNull();
    expect(keyAdvice([link('box', 'ssh', NONE)], 'box', { ANTHROPIC_API_KEY: KEY })).toBeNull();
    // an older node that does not report its auth
    expect(keyAdvice([link('local', 'local', undefined)], undefined, { ANTHROPIC_API_KEY: KEY })).toBeNull();
  });

  it('with other nodes the run may go to instead, it warns and leaves the refusing to the node chosen', () => {
    const links = [link('local', 'local', NONE), link('box', 'ssh', { key: true, login: false })];
    expect(keyAdvice(links, undefined, { ANTHROPIC_API_KEY: KEY })).toMatchObject({ refuse: false });
    expect(keyAdvice(links, 'local', { ANTHROPIC_API_KEY: KEY })).toMatchObject({ refuse: true });
    expect(
      keyAdvice([link('local', 'local', NONE, 'down'), links[1]!], undefined, { ANTHROPIC_API_KEY: KEY }),
    ).toBeNull();
  });
});

describe('runDetails', () => {
  it('the worktree, the branch and where it started from, and the commands that follow', () => {
    const lines = runDetails({
      id: 's-abc123',
      node: 'local',
      worktree: '/home/u/.agency/worktrees/repo-1a2b3c4d/s-abc123',
      branch: 'agency/s-abc123',
      base: { branch: 'main', commit: 'f'.repeat(40) },
    });
    expect(lines).toEqual([
      '  worktree  /home/u/.agency/worktrees/repo-1a2b3c4d/s-abc123',
      '  branch    agency/s-abc123 (from main)',
      '  next      agency wait s-abc123; then agency diff s-abc123 to see the work, agency merge s-abc123 to land it',
    ]);
    expect(runDetails({ id: 's-1', node: 'box', worktree: '/w', branch: 'agency/s-1', base: null })[0]).toBe(
      '  worktree  /w on node box',
    );
  });
});
