/**
 * Running a check command, outside the sandbox (the node opted out): its verdict and exit code, a bounded
 * tail of what it printed, no secret variable in its environment, a timeout that ends everything it
 * started; and a check that must be sandboxed is refused where no sandbox can be made. The sandbox itself
 * is tested in check-run.e2e.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_TAIL, runCheck, sandboxReady } from '../../src/dispatch/check-run.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

function dir() {
  const t = tempDir('agency-check-');
  defer(t.remove);
  return t.path;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('running a check', () => {
  it('passes on exit 0 and fails with the exit code otherwise, in the worktree', async () => {
    const d = dir();
    const ok = await runCheck(d, { command: 'pwd; echo to stderr >&2', sandbox: false });
    expect(ok).toEqual({ ok: true, output: `${d}\nto stderr\n`, code: 0, timedOut: false });
    const bad = await runCheck(d, { command: 'echo failing; exit 3', sandbox: false });
    expect(bad).toEqual({ ok: false, output: 'failing\n', code: 3, timedOut: false });
  });

  it('keeps only the tail of a long output', async () => {
    const d = dir();
    // 100,000 numbered lines: about 680 KB
    const r = await runCheck(d, { command: 'seq 1 100000', sandbox: false });
    expect(r.ok).toBe(true);
    expect(Buffer.byteLength(r.output)).toBeLessThanOrEqual(OUTPUT_TAIL);
    expect(Buffer.byteLength(r.output)).toBeGreaterThan(OUTPUT_TAIL - 10);
    expect(r.output.endsWith('99999\n100000\n')).toBe(true);
    expect(r.output).not.toContain('\n5000\n');
  });

  it('gets no secret variable from the environment it is given', async () => {
    const d = dir();
    const env = {
      PATH: process.env.PATH,
      PLAIN_SETTING: 'shown',
      GH_TOKEN: 'ghp_secret',
      ANTHROPIC_API_KEY: 'sk-ant-secret',
      DB_PASSWORD: 'hunter2',
    };
    const r = await runCheck(d, { command: 'env', sandbox: false, env });
    expect(r.output).toContain('PLAIN_SETTING=shown\n');
    for (const secret of ['ghp_secret', 'sk-ant-secret', 'hunter2', 'GH_TOKEN', 'API_KEY', 'PASSWORD'])
      expect(r.output).not.toContain(secret);
  });

  it('kills the whole process group at its timeout, what it started in the background too', async () => {
    const d = dir();
    const t0 = Date.now();
    const r = await runCheck(d, {
      command: 'sleep 60 & echo $! > bg.pid; echo started; sleep 60',
      sandbox: false,
      timeoutMs: 500,
    });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r).toMatchObject({ ok: false, timedOut: true, code: null });
    expect(r.output).toBe('started\n\nthe check was stopped: it ran longer than 500 ms\n');
    const bg = Number(readFileSync(join(d, 'bg.pid'), 'utf8'));
    await until('the background sleep to end', () => !alive(bg), 5_000);
  });

  it('says so when the command cannot start', async () => {
    const d = join(dir(), 'gone');
    const r = await runCheck(d, { command: 'true', sandbox: false });
    expect(r.ok).toBe(false);
    expect(r.code).toBeNull();
    expect(r.output).toMatch(/^\nthe check could not start: spawn \/bin\/sh ENOENT\n$/);
  });

  it('refuses to run a check that must be sandboxed where there is no sandbox, running nothing', async () => {
    const d = dir();
    const spec = { command: 'touch ran', sandbox: true, env: { PATH: join(d, 'no-programs-here') } };
    const noBwrap =
      'the check command must run in the sandbox, and bubblewrap (bwrap) is not installed on this node (sudo apt-get install -y bubblewrap socat); or opt the node out with AGENCY_SANDBOX=off in ~/.agency/node.env. Nothing was run';
    await expect(runCheck(d, spec, {}, 'linux')).rejects.toMatchObject({ code: 'failed', message: noBwrap });
    expect(() => sandboxReady(spec, 'linux')).toThrow(noBwrap);
    await expect(runCheck(d, spec, {}, 'win32')).rejects.toThrow(
      'the check command must run in the sandbox, which agency has on Linux and macOS only, not win32',
    );
    expect(() => readFileSync(join(d, 'ran'))).toThrow();
  });
});
