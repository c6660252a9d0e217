/**
 * When a process started, as an identity no later process with the same pid shares: on Linux the boot's id
 * and the process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22); on macOS the start
 * time `ps -o lstart=` gives. Null when the process is gone, or where agency knows no way to tell.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function linuxStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces and parentheses: fields follow the last `)`
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = rest[22 - 3];
    if (!start || !/^\d+$/.test(start)) return null;
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}:${start}`;
  } catch {
    return null;
  }
}

function macStart(pid: number): string | null {
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    return out === '' ? null : out;
  } catch {
    return null;
  }
}

/** The identity of process `pid`'s start, or null (gone, or not knowable here). */
export function processStart(pid: number, platform: NodeJS.Platform = process.platform): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (platform === 'linux') return linuxStart(pid);
  if (platform === 'darwin') return macStart(pid);
  return null;
}
