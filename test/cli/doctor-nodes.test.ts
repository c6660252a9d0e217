/**
 * What `agency doctor` says of a node that is up: its runtime and C library, its sandbox (on, off, or
 * unavailable and why) and its service (under it, installed but not under it, none), from NodeViews as
 * the cockpit gives them.
 */
import { describe, expect, it } from 'vitest';
import { nodeCheck } from '../../src/cli/doctor-nodes.js';
import { version } from '../../src/cli/version.js';
import type { NodeView } from '../../src/cockpit/client.js';
import type { NodeInfo } from '../../src/protocol/messages.js';

const info = (x: Partial<NodeInfo> = {}): NodeInfo => ({
  name: 'box1',
  agentVersion: version(),
  build: 'f'.repeat(64),
  protocol: 1,
  host: 'studio-02',
  platform: 'linux-x64',
  pid: 4242,
  startedAt: '2026-01-01T00:00:00.000Z',
  auth: { key: true, login: false },
  ...x,
});

const view = (i: NodeInfo): NodeView => ({
  name: 'box1',
  transport: 'ssh',
  state: 'up',
  error: null,
  info: i,
  since: '2026-01-01T00:00:00.000Z',
  sessions: 0,
});

describe('doctor on a node that is up', () => {
  it('reports the runtime, C library, sandbox and service of a node under its service', () => {
    const c = nodeCheck(
      view(
        info({
          runtime: { node: '22.11.0', bundled: true, libc: 'glibc 2.36' },
          sandbox: { mode: 'on' },
          service: { kind: 'systemd', installed: true, running: true },
        }),
      ),
    );
    expect(c).toEqual({
      name: 'node box1',
      ok: true,
      detail: `up: agent ${version()}, build ffffffffffff, on studio-02 (linux-x64); Node 22.11.0 (agency's), glibc 2.36; sandbox on; under systemd`,
      fix: null,
    });
  });

  it("says the node's own Node, a sandbox opted out, and a service it does not run under, with the fix", () => {
    const c = nodeCheck(
      view(
        info({
          platform: 'darwin-arm64',
          runtime: { node: '20.18.1', bundled: false, libc: 'macOS 14.5' },
          sandbox: { mode: 'off', reason: 'opted out with AGENCY_SANDBOX=off' },
          service: { kind: 'launchd', installed: true, running: false },
        }),
      ),
    );
    expect(c.ok).toBe(true);
    expect(c.detail).toBe(
      `up: agent ${version()}, build ffffffffffff, on studio-02 (darwin-arm64); Node 20.18.1 (the node's own), macOS 14.5; sandbox off (opted out with AGENCY_SANDBOX=off); launchd installed, not under it; sessions run unsandboxed; agency push --node box1 --service puts the daemon back under its service`,
    );
  });

  it('fails a node whose sandbox is unavailable, naming why; a node without a service says so', () => {
    const c = nodeCheck(
      view(
        info({
          sandbox: { mode: 'unavailable', reason: 'bwrap is not installed' },
          service: { kind: 'systemd', installed: false, running: false },
        }),
      ),
    );
    expect(c.ok).toBe(false);
    expect(c.detail).toBe(
      `up: agent ${version()}, build ffffffffffff, on studio-02 (linux-x64); runtime not reported; sandbox unavailable (bwrap is not installed); no service; it refuses sessions`,
    );
    expect(c.fix).toMatch(/bubblewrap, socat/);
  });

  it('an agent too old to report them says so rather than guessing', () => {
    expect(nodeCheck(view(info())).detail).toMatch(/; runtime not reported; sandbox not reported$/);
  });
});
