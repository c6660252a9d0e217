/**
 * A worker's process with stand-ins for claude that misbehave as no real run can be made to on demand: they
 * ignore signals, print a line far larger than any event, fail before printing, or print more than is kept.
 * (The real Claude Code CLI against the scripted API is in worker-process.e2e.test.ts.)
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hasUnsafe } from '../../src/protocol/safe-text.js';
import { BoundedLines } from '../../src/dispatch/bounded-lines.js';
import { MAX_EVENT_BYTES, WorkerProcess, type WorkerLaunch } from '../../src/dispatch/worker-process.js';
import { continueTree, stopTree } from '../../src/session/process-tree.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

/** Whether a process runs (a zombie waiting to be reaped does not). */
function alive(pid: number): boolean {
  try {
    if (process.platform === 'linux') return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const dirs: { remove(): void }[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()!.remove();
});

function folder(): string {
  const d = tempDir('agency-worker-');
  dirs.push(d);
  return d.path;
}

/** A stand-in for claude: a shell script. */
function standIn(dir: string, body: string): string {
  const file = join(dir, 'claude');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function launch(cwd: string, claudeBin: string, more: Partial<WorkerLaunch> = {}): WorkerLaunch {
  return {
    id: 'w-test',
    cwd,
    claudeBin,
    model: 'haiku',
    prompt: 'the task',
    env: { PATH: process.env.PATH, LOG: join(cwd, 'log') },
    claudeSession: '00000000-0000-4000-8000-000000000001',
    silenceMs: 30_000,
    ...more,
  };
}

const INIT = JSON.stringify({ type: 'system', subtype: 'init', model: 'stand-in' });
const RESULT = JSON.stringify({
  type: 'result',
  subtype: 'success',
  is_error: false,
  result: 'All good.',
  total_cost_usd: 0.5,
  usage: { input_tokens: 10, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
});

describe('BoundedLines', () => {
  it('holds no more than its cap of a line that never ends, drops it, and reads the next line whole', () => {
    const seen: string[] = [];
    const dropped: number[] = [];
    const lines = new BoundedLines(1024 * 1024, { line: (l) => seen.push(l), dropped: (n) => dropped.push(n) });
    const mb = Buffer.alloc(1024 * 1024, 'x');
    let most = 0;
    for (let i = 0; i < 1024; i++) {
      lines.push(mb); // a gigabyte without a line break
      most = Math.max(most, lines.held);
    }
    expect(most).toBeLessThanOrEqual(1024 * 1024);
    expect(lines.held).toBe(0);
    lines.push(Buffer.from('x\n{"a":1}\r\n{"b":'));
    lines.push(Buffer.from('2}\npartial'));
    lines.end();
    expect(dropped).toEqual([1024 * 1024 * 1024 + 1]);
    expect(seen).toEqual(['{"a":1}', '{"b":2}', 'partial']);
  });

  it('keeps a multi-byte character split across chunks', () => {
    const seen: string[] = [];
    const lines = new BoundedLines(100, { line: (l) => seen.push(l), dropped: () => undefined });
    const bytes = Buffer.from('héllo ✓\n');
    for (let i = 0; i < bytes.length; i++) lines.push(bytes.subarray(i, i + 1));
    expect(seen).toEqual(['héllo ✓']);
  });
});

describe('WorkerProcess with a stand-in for claude', () => {
  it('a pause stops its whole tree, a child that left its process group too, and a resume lets it go on', async () => {
    const cwd = folder();
    const bin = standIn(cwd, `setsid sleep 60 & echo $! > "$LOG.child"\necho '${INIT}'\nexec sleep 60`);
    const p = WorkerProcess.start(
      launch(cwd, bin, { tree: { stop: (pid) => void stopTree(pid), continue: continueTree } }),
    );
    const child = () => Number(readFileSync(`${join(cwd, 'log')}.child`, 'utf8'));
    const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
    await until('the child runs', () => {
      try {
        return child() > 0 && alive(child());
      } catch {
        return false;
      }
    });
    // the child in its own session: a stop of the worker's process group alone would not reach it
    await until(
      'the child is in its own session',
      () =>
        readFileSync(`/proc/${child()}/stat`, 'utf8')
          .replace(/^.*\) /, '')
          .split(' ')[3] !== String(p.pid),
    );
    p.pause();
    await until('the child is stopped', () => state(child()) === 'T');
    p.resume();
    await until('the child goes on', () => state(child()) !== 'T');
    void p.stop('the test ends');
    process.kill(child(), 'SIGKILL');
    await p.exited;
  });

  it('passes the flags, the folders, the extra arguments and then the prompt after --, stdin closed', async () => {
    const cwd = folder();
    const bin = standIn(
      cwd,
      `for a in "$@"; do printf '%s\\n' "$a"; done > "$LOG.args"\nreadlink /proc/self/fd/0 > "$LOG.stdin"\necho '${RESULT}'`,
    );
    const p = WorkerProcess.start(
      launch(cwd, bin, {
        prompt: '--help: not a flag\nsecond line',
        resume: true,
        addDirs: ['/a b', '/c'],
        extraArgs: ['--tools', '', '--permission-mode', 'acceptEdits'],
      }),
    );
    const exit = await p.exited;
    expect(exit).toMatchObject({ code: 0, isError: false, result: 'All good.', reason: null, silent: false });
    expect(readFileSync(join(cwd, 'log.args'), 'utf8')).toBe(
      [
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
        '--model',
        'haiku',
        '--resume',
        '00000000-0000-4000-8000-000000000001',
        '--add-dir',
        '/a b',
        '--add-dir',
        '/c',
        '--tools',
        '',
        '--permission-mode',
        'acceptEdits',
        '--',
        '--help: not a flag',
        'second line',
        '',
      ].join('\n'),
    );
    expect(readFileSync(join(cwd, 'log.stdin'), 'utf8').trim()).toBe('/dev/null');
  });

  it('interrupts a silent worker, then terminates it, then kills its whole group when it ignores both', async () => {
    const cwd = folder();
    // the shell notes each signal and goes on; the child it waits on is in the same group
    const bin = standIn(
      cwd,
      `trap 'echo INT >> "$LOG"' INT\ntrap 'echo TERM >> "$LOG"' TERM\necho '${INIT}'\nsh -c 'trap "" INT TERM; echo $$ > "$LOG.child"; exec sleep 600' &\nwhile :; do wait; done`,
    );
    const p = WorkerProcess.start(launch(cwd, bin, { silenceMs: 500, graceMs: 300 }));
    const exit = await p.exited;
    expect(exit).toMatchObject({ signal: 'SIGKILL', silent: true, isError: true, result: null });
    expect(exit.reason).toBe('printed nothing for 0.5 s and was interrupted');
    expect(readFileSync(join(cwd, 'log'), 'utf8')).toBe('INT\nTERM\n');
    const child = Number(readFileSync(join(cwd, 'log.child'), 'utf8'));
    await until('the grandchild, which ignored both, to go with it', () => !alive(child), 5_000);
    expect(p.output().lines).toEqual([
      'started (stand-in)',
      '(printed nothing for 0.5 s: interrupted)',
      `ended: ${exit.reason}`,
    ]);
  });

  it('stop() terminates a worker and resolves with the reason; a second stop changes nothing', async () => {
    const cwd = folder();
    const bin = standIn(cwd, `echo '${INIT}'\nexec sleep 600`);
    const p = WorkerProcess.start(launch(cwd, bin));
    const activity: string[] = [];
    p.onActivity((l) => activity.push(l));
    expect(p.pid).toBeGreaterThan(0);
    // wait for its first line: it is running
    await new Promise<void>((resolve) => {
      const off = p.onActivity(() => {
        off();
        resolve();
      });
    });
    const exit = await p.stop('the operator stopped it');
    expect(exit).toMatchObject({
      signal: 'SIGTERM',
      isError: true,
      silent: false,
      reason: 'stopped: the operator stopped it',
    });
    expect(await p.stop('again')).toBe(exit);
    expect(activity).toEqual(['started (stand-in)']);
  });

  it('with silenceMs 0 never interrupts it', async () => {
    const cwd = folder();
    const bin = standIn(cwd, `sleep 0.3\necho '${RESULT}'`);
    const exit = await WorkerProcess.start(launch(cwd, bin, { silenceMs: 0 })).exited;
    expect(exit).toMatchObject({ silent: false, isError: false, result: 'All good.' });
  });

  it('drops a line larger than any event and still reads the result after it', async () => {
    const cwd = folder();
    const mb = 64;
    const bin = standIn(
      cwd,
      `echo '${INIT}'\nhead -c ${mb * 1024 * 1024} /dev/zero | tr '\\000' x\necho\necho '${RESULT}'`,
    );
    expect(mb * 1024 * 1024).toBeGreaterThan(MAX_EVENT_BYTES);
    const exit = await WorkerProcess.start(launch(cwd, bin)).exited;
    expect(exit).toMatchObject({ isError: false, result: 'All good.' });
    expect(exit.usage).toEqual({
      inputTokens: 10,
      outputTokens: 2,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      costUsd: 0.5,
      unpricedModels: [],
    });
  });

  it('names what went wrong when claude cannot start, or ends without a result', async () => {
    const cwd = folder();
    const missing = await WorkerProcess.start(launch(cwd, join(cwd, 'no-such-claude'))).exited;
    expect(missing).toMatchObject({ code: null, isError: true, result: null });
    expect(missing.reason).toMatch(/^could not start .*no-such-claude: spawn .* ENOENT$/);

    const bin = standIn(cwd, 'echo ok');
    const gone = await WorkerProcess.start(launch(join(cwd, 'gone'), bin)).exited;
    expect(gone.reason).toBe(`could not start claude: its folder ${join(cwd, 'gone')} does not exist`);

    const crash = standIn(cwd, `echo '${INIT}'\necho 'Error: Session ID 1 is already in use.' >&2\nexit 1`);
    const crashed = await WorkerProcess.start(launch(cwd, crash)).exited;
    expect(crashed).toMatchObject({ code: 1, isError: true, result: null });
    expect(crashed.reason).toBe('exited with code 1: Error: Session ID 1 is already in use.');

    const quiet = standIn(cwd, `echo '${INIT}'`);
    expect((await WorkerProcess.start(launch(cwd, quiet)).exited).reason).toBe('exited without a result');
  });

  it('keeps only the last lines of its log, each plain and on one line', async () => {
    const cwd = folder();
    const say = (i: number) =>
      JSON.stringify({
        type: 'assistant',
        message: { id: `m${i}`, model: 'stand-in', content: [{ type: 'text', text: `line ${i}\x1b[2J\u202e\rx` }] },
      });
    const bin = standIn(
      cwd,
      Array.from({ length: 30 }, (_, i) => `printf '%s\\n' '${say(i)}'`).join('\n') + `\necho '${RESULT}'`,
    );
    const p = WorkerProcess.start(launch(cwd, bin, { keepLines: 5 }));
    const activity: string[] = [];
    p.onActivity((l) => activity.push(l));
    await p.exited;
    expect(activity).toEqual(['writing', 'finished']); // told once, not once per event
    const out = p.output();
    expect(out.truncated).toBe(true);
    // the escape sequence's introducer, the override and the carriage return are gone; what is left is text
    expect(out.lines).toEqual(['line 26[2J x', 'line 27[2J x', 'line 28[2J x', 'line 29[2J x', 'finished: All good.']);
    for (const l of out.lines) expect(hasUnsafe(l)).toBe(false);
  });
});
