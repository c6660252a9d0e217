/**
 * Whether this node can run its sessions in Claude Code's OS sandbox, checked when the node starts. On
 * Linux that takes bubblewrap and socat on the PATH Claude Code searches, and a bubblewrap that can make
 * its namespaces here (unprivileged user namespaces); on macOS Seatbelt ships with the system. A node whose
 * sandbox cannot start still starts, and refuses to start sessions, saying why. The operator may opt a
 * node out with AGENCY_SANDBOX=off in ~/.agency/node.env; its sessions then run unsandboxed, and the
 * cockpit says so.
 */
import { spawnSync } from 'node:child_process';
import type { NodeInfo } from '../protocol/messages.js';
import { SANDBOX_INSTALL, SANDBOX_OPT_OUT, SANDBOX_PROGRAMS } from '../paths/sandbox-programs.js';
import { findProgram } from './find-program.js';

export type SandboxStatus = NonNullable<NodeInfo['sandbox']>;

/** The namespaces Claude Code's sandbox makes on Linux, around a command that does nothing. */
const PROBE = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--unshare-net'];
const PROBE_MS = 10_000;

export interface SandboxCheckOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export function checkSandbox(o: SandboxCheckOptions = {}): SandboxStatus {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  const setting = (env.AGENCY_SANDBOX ?? '').trim().toLowerCase();
  if (setting === 'off') return { mode: 'off', reason: 'opted out with AGENCY_SANDBOX=off' };
  if (setting !== '' && setting !== 'on')
    return {
      mode: 'unavailable',
      reason: `AGENCY_SANDBOX is ${JSON.stringify(env.AGENCY_SANDBOX)}; set it to on or off in ~/.agency/node.env and restart the node`,
    };
  if (platform === 'darwin') {
    return findProgram('/usr/bin/sandbox-exec')
      ? { mode: 'on' }
      : { mode: 'unavailable', reason: 'macOS has no /usr/bin/sandbox-exec here, which Seatbelt needs' };
  }
  if (platform !== 'linux')
    return { mode: 'unavailable', reason: `Claude Code's sandbox runs on Linux and macOS, not ${platform}` };
  const missing = SANDBOX_PROGRAMS.filter((p) => !findProgram(p, env.PATH));
  if (missing.length)
    return {
      mode: 'unavailable',
      reason: `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed (${SANDBOX_INSTALL}); or opt the node out with ${SANDBOX_OPT_OUT}`,
    };
  const bwrap = findProgram('bwrap', env.PATH)!;
  const truePath = findProgram('true', env.PATH) ?? '/bin/true';
  const r = spawnSync(bwrap, [...PROBE, '--', truePath], { env, encoding: 'utf8', timeout: PROBE_MS });
  if (r.status === 0) return { mode: 'on' };
  const why = r.error ? r.error.message : (r.stderr ?? '').trim().split('\n').pop() || `exit ${r.status}`;
  return {
    mode: 'unavailable',
    reason: `bubblewrap cannot make a sandbox here (${why}): unprivileged user namespaces may be off (sysctl kernel.unprivileged_userns_clone=1, or AppArmor's kernel.apparmor_restrict_unprivileged_userns=0)`,
  };
}
