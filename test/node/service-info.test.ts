/**
 * How the daemon tells whether it runs under its service: systemd's INVOCATION_ID and a cgroup of the
 * unit (cgroup v2 and v1/hybrid lines as /proc/self/cgroup has them), launchd's XPC_SERVICE_NAME; and
 * whether the service is installed, from the unit or plist file in a real home folder.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAUNCHD_LABEL, SYSTEMD_UNIT } from '../../src/fleet/service.js';
import { serviceInfo, type ServiceProbe } from '../../src/node/service-info.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

function home(file?: string): string {
  const d = tempDir('ag-si-');
  defer(() => d.remove());
  if (file) {
    mkdirSync(join(d.path, file, '..'), { recursive: true });
    writeFileSync(join(d.path, file), '');
  }
  return d.path;
}

const probe = (p: Partial<ServiceProbe> & { home: string }): ServiceProbe => ({
  platform: 'linux',
  env: {},
  cgroup: () => null,
  exists: existsSync,
  ...p,
});

const V2 = `0::/user.slice/user-1001.slice/user@1001.service/app.slice/${SYSTEMD_UNIT}\n`;
const HYBRID = `9:name=systemd:/user.slice/user-1001.slice/user@1001.service/app.slice/${SYSTEMD_UNIT}\n4:memory:/\n0::/user.slice/user-1001.slice/user@1001.service/app.slice/${SYSTEMD_UNIT}\n`;
const SSH_SESSION = '0::/user.slice/user-1001.slice/session-4.scope\n';

describe('serviceInfo', () => {
  it('on Linux: running under the unit takes INVOCATION_ID and a cgroup of the unit (v2 or hybrid)', () => {
    const h = home(`.config/systemd/user/${SYSTEMD_UNIT}`);
    for (const cg of [V2, HYBRID])
      expect(serviceInfo(probe({ home: h, env: { INVOCATION_ID: 'abc' }, cgroup: () => cg }))).toEqual({
        kind: 'systemd',
        installed: true,
        running: true,
      });
    // started by hand in a login session, by another unit, or with no cgroup to read: not under it
    expect(serviceInfo(probe({ home: h, env: { INVOCATION_ID: 'abc' }, cgroup: () => SSH_SESSION }))?.running).toBe(
      false,
    );
    expect(
      serviceInfo(
        probe({ home: h, env: { INVOCATION_ID: 'abc' }, cgroup: () => V2.replace(SYSTEMD_UNIT, `x-${SYSTEMD_UNIT}`) }),
      )?.running,
    ).toBe(false);
    expect(serviceInfo(probe({ home: h, env: {}, cgroup: () => V2 }))?.running).toBe(false);
    expect(serviceInfo(probe({ home: h, env: { INVOCATION_ID: 'abc' } }))?.running).toBe(false);
  });

  it('on Linux: installed is the unit file in ~/.config/systemd/user', () => {
    expect(serviceInfo(probe({ home: home() }))).toEqual({ kind: 'systemd', installed: false, running: false });
    expect(serviceInfo(probe({ home: home(`.config/systemd/user/other.service`) }))?.installed).toBe(false);
  });

  it('on macOS: running is XPC_SERVICE_NAME naming the label, installed the plist in ~/Library/LaunchAgents', () => {
    const h = home(`Library/LaunchAgents/${LAUNCHD_LABEL}.plist`);
    expect(serviceInfo(probe({ platform: 'darwin', home: h, env: { XPC_SERVICE_NAME: LAUNCHD_LABEL } }))).toEqual({
      kind: 'launchd',
      installed: true,
      running: true,
    });
    // a Terminal's shell has XPC_SERVICE_NAME=0
    expect(serviceInfo(probe({ platform: 'darwin', home: home(), env: { XPC_SERVICE_NAME: '0' } }))).toEqual({
      kind: 'launchd',
      installed: false,
      running: false,
    });
  });

  it('elsewhere there is no service to speak of', () => {
    expect(serviceInfo(probe({ platform: 'freebsd', home: home() }))).toBeUndefined();
  });
});
