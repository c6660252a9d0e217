/**
 * Running a discipline's check command (`npm test`) in a worktree after workers' branches were merged into
 * it. The code it runs came from workers, so it runs inside the OS sandbox (check-sandbox.ts) unless the
 * node's operator opted the node out, with no secret variable in its environment. Without a sandbox to run
 * in, it refuses (fails closed). A timeout kills all it started. What it printed comes back as a bounded tail.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from '../paths/find-program.js';
import { SANDBOX_INSTALL, SANDBOX_OPT_OUT } from '../paths/sandbox-programs.js';
import { RemoteError } from '../protocol/connection.js';
import { withoutSecrets } from '../protocol/secret-env.js';
import { bwrapArgs, seatbeltProfile, type SandboxPlan } from './check-sandbox.js';
import type { CheckSpec } from './merge-queue.js';

export interface CheckResult {
  ok: boolean;
  /** the end of what it printed (stdout and stderr, as they came), at most OUTPUT_TAIL bytes */
  output: string;
  /** its exit code; null when a signal ended it */
  code: number | null;
  timedOut: boolean;
}

/** What runCheck knows beyond the spec: git's folders for the worktree, and paths it must not change. */
export interface CheckPlace {
  gitDirs?: string[];
  /** paths relative to the worktree (the session's uncommitted files): read-only inside the sandbox */
  protect?: string[];
}

export const OUTPUT_TAIL = 8 * 1024;
export const DEFAULT_CHECK_TIMEOUT_MS = 10 * 60_000;
/** How long a check that was sent SIGTERM at its timeout has before SIGKILL. */
const KILL_GRACE_MS = 2_000;
const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

/** The program and arguments that run the command, sandboxed or not, and what to clean up after. */
interface Launch {
  file: string;
  args: string[];
  cleanup(): void;
}

/** A Linux sandbox that works is proven once per bubblewrap program: the probe runs what every check will. */
const provenBwrap = new Set<string>();

function bwrapOrRefuse(env: NodeJS.ProcessEnv): string {
  const bwrap = findProgram('bwrap', env.PATH ?? process.env.PATH);
  if (!bwrap)
    throw new RemoteError(
      'failed',
      `the check command must run in the sandbox, and bubblewrap (bwrap) is not installed on this node (${SANDBOX_INSTALL}); or opt the node out with ${SANDBOX_OPT_OUT}. Nothing was run`,
    );
  if (provenBwrap.has(bwrap)) return bwrap;
  const probe = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-net', '--unshare-pid'];
  const r = spawnSync(bwrap, [...probe, '--die-with-parent', '--new-session', '--', '/bin/sh', '-c', 'exit 0'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr ?? '').trim().split('\n').pop() || `exit ${r.status}`;
    throw new RemoteError(
      'failed',
      `the check command must run in the sandbox, and bubblewrap cannot make one on this node (${why}); unprivileged user namespaces may be off. Nothing was run`,
    );
  }
  provenBwrap.add(bwrap);
  return bwrap;
}

/**
 * Throws (a RemoteError saying what to do) when spec asks for a sandbox this node cannot make: called before
 * anything is merged, so that a queue that could not check changes nothing.
 */
export function sandboxReady(spec: CheckSpec, platform: NodeJS.Platform = process.platform): void {
  if (!spec.sandbox) return;
  if (platform === 'linux') bwrapOrRefuse(withoutSecrets(spec.env ?? process.env));
  else if (platform === 'darwin') {
    if (!findProgram(SANDBOX_EXEC))
      throw new RemoteError('failed', `the check command must run in the sandbox, and this Mac has no ${SANDBOX_EXEC}`);
  } else throw unsupported(platform);
}

const unsupported = (platform: string) =>
  new RemoteError(
    'failed',
    `the check command must run in the sandbox, which agency has on Linux and macOS only, not ${platform}; or opt the node out with ${SANDBOX_OPT_OUT}`,
  );

function launch(plan: SandboxPlan, spec: CheckSpec, platform: NodeJS.Platform): Launch {
  const none = () => {};
  if (!spec.sandbox) return { file: '/bin/sh', args: ['-c', spec.command], cleanup: none };
  if (platform === 'linux')
    return { file: bwrapOrRefuse(plan.env), args: bwrapArgs(plan, spec.command), cleanup: none };
  if (platform === 'darwin') {
    sandboxReady(spec, platform);
    const tmp = mkdtempSync(join(tmpdir(), 'agency-check-'));
    const profile = join(tmp, 'check.sb');
    writeFileSync(profile, seatbeltProfile(plan), { mode: 0o600 });
    return {
      file: SANDBOX_EXEC,
      args: ['-f', profile, '/bin/sh', '-c', spec.command],
      cleanup: () => rmSync(tmp, { recursive: true, force: true }),
    };
  }
  throw unsupported(platform);
}

/** The last max bytes of what was printed, kept as it comes. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - this.chunks[0]!.length >= this.max) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    // cut where a UTF-8 character starts
    let from = Math.max(0, all.length - this.max);
    while (from < all.length && (all[from]! & 0xc0) === 0x80) from++;
    return all.subarray(from).toString('utf8');
  }
}

/**
 * Runs spec.command with /bin/sh in dir. Throws (a RemoteError) only when it cannot be run as asked: a
 * sandbox that is not there. A command that fails, times out or cannot start is `ok: false` with why.
 */
export async function runCheck(
  dir: string,
  spec: CheckSpec,
  place: CheckPlace = {},
  platform: NodeJS.Platform = process.platform,
): Promise<CheckResult> {
  const env = withoutSecrets(spec.env ?? process.env);
  if (spec.sandbox) env.TMPDIR = '/tmp';
  const plan: SandboxPlan = { dir, gitDirs: place.gitDirs ?? [], protect: place.protect ?? [], env };
  const l = launch(plan, spec, platform);
  const tail = new Tail(OUTPUT_TAIL);
  const timeoutMs = spec.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawn(l.file, l.args, { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      group('SIGTERM');
      setTimeout(() => group('SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    let settled = false;
    const settle = (code: number | null, why = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      l.cleanup();
      if (timedOut) why += `\nthe check was stopped: it ran longer than ${timeoutMs} ms\n`;
      if (why) tail.push(Buffer.from(why));
      resolve({ ok: code === 0 && !timedOut, output: tail.text(), code, timedOut });
    };
    let exitCode: number | null | undefined;
    child.stdout.on('data', (d: Buffer) => tail.push(d));
    child.stderr.on('data', (d: Buffer) => tail.push(d));
    child.on('error', (e) => settle(null, `\nthe check could not start: ${e.message}\n`));
    child.on('exit', (code) => {
      exitCode = code;
      // what it left running in its group goes with it; its output is read until the pipes close
      group('SIGKILL');
      setTimeout(() => settle(code), 1_000).unref();
    });
    child.on('close', () => {
      if (exitCode !== undefined) settle(exitCode);
    });
  });
}
