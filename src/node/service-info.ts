/**
 * Whether this daemon runs under the user service `agency push --service` installs, and whether that
 * service is installed: a systemd user unit on Linux, a launchd agent on macOS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { NodeService } from '../protocol/messages.js';

// the names the service's files give it (src/fleet/service.ts writes them; node/ does not import fleet/)
const SYSTEMD_UNIT = 'agency-node.service';
const LAUNCHD_LABEL = 'dev.agency.node';

export interface ServiceProbe {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
  /** /proc/self/cgroup, or null where there is none */
  cgroup(): string | null;
  exists(path: string): boolean;
}

const realProbe = (): ServiceProbe => ({
  platform: process.platform,
  env: process.env,
  home: homedir(),
  cgroup: () => {
    try {
      return readFileSync('/proc/self/cgroup', 'utf8');
    } catch {
      return null;
    }
  },
  exists: existsSync,
});

/** The service this daemon belongs to; undefined on a system that has neither. */
export function serviceInfo(p: ServiceProbe = realProbe()): NodeService | undefined {
  if (p.platform === 'linux') {
    // systemd sets INVOCATION_ID for what it starts; the cgroup says which unit started it
    const unitGroup = new RegExp(`/${SYSTEMD_UNIT.replace('.', '\\.')}(/|$)`, 'm');
    return {
      kind: 'systemd',
      installed: p.exists(join(p.home, '.config/systemd/user', SYSTEMD_UNIT)),
      running: Boolean(p.env.INVOCATION_ID) && unitGroup.test(p.cgroup() ?? ''),
    };
  }
  if (p.platform === 'darwin')
    return {
      kind: 'launchd',
      installed: p.exists(join(p.home, 'Library/LaunchAgents', `${LAUNCHD_LABEL}.plist`)),
      // launchd names the job it started in XPC_SERVICE_NAME (a Terminal's shell has `0`)
      running: p.env.XPC_SERVICE_NAME === LAUNCHD_LABEL,
    };
  return undefined;
}
