/**
 * The runtime a daemon reports: agency's own Node (under ~/.agency/runtime, through a symlink too) or the
 * node's; glibc's version, musl where Node has no glibc, the macOS version; and this very process's.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeInfo, type RuntimeProbe } from '../../src/node/runtime-info.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

function home() {
  const d = tempDir('ag-ri-');
  defer(() => d.remove());
  const bin = join(d.path, '.agency/runtime/0f0f/bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'node'), '');
  mkdirSync(join(d.path, 'elsewhere'));
  symlinkSync(join(bin, 'node'), join(d.path, 'elsewhere/node'));
  writeFileSync(join(d.path, 'own-node'), '');
  return d.path;
}

const probe = (p: Partial<RuntimeProbe> & { home: string }): RuntimeProbe => ({
  platform: 'linux',
  execPath: '/usr/bin/node',
  version: '22.11.0',
  glibc: () => '2.36',
  macVersion: () => undefined,
  ...p,
});

describe('runtimeInfo', () => {
  it("tells agency's Node from the node's own, through a symlink too", () => {
    const h = home();
    expect(runtimeInfo(probe({ home: h, execPath: join(h, '.agency/runtime/0f0f/bin/node') }))).toEqual({
      node: '22.11.0',
      bundled: true,
      libc: 'glibc 2.36',
    });
    expect(runtimeInfo(probe({ home: h, execPath: join(h, 'elsewhere/node') })).bundled).toBe(true);
    expect(runtimeInfo(probe({ home: h, execPath: join(h, 'own-node') })).bundled).toBe(false);
  });

  it('names musl where Node has no glibc, and the macOS version on a Mac', () => {
    const h = home();
    expect(runtimeInfo(probe({ home: h, glibc: () => undefined })).libc).toBe('musl');
    expect(runtimeInfo(probe({ home: h, platform: 'darwin', macVersion: () => '14.5' })).libc).toBe('macOS 14.5');
    expect(runtimeInfo(probe({ home: h, platform: 'darwin' }))).not.toHaveProperty('libc');
  });

  it("this process: its own version, not agency's Node, and this machine's glibc", () => {
    const r = runtimeInfo();
    expect(r.node).toBe(process.versions.node);
    expect(r.bundled).toBe(false);
    if (process.platform === 'linux') expect(r.libc).toMatch(/^glibc \d+\.\d+$|^musl$/);
  });
});
