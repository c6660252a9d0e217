/**
 * Workers as the node runs them: the real Claude Code CLI (pinned 2.1.197) in `-p` stream-json mode against
 * one scripted Messages API that scripts each worker by its prompt. A worker writes its result file and
 * replies one sentence, or forgets the file, hangs, is stopped, has its key refused, or prints escape
 * sequences; a finished one is resumed for another turn.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Usage } from '../../src/protocol/messages.js';
import { hasUnsafe } from '../../src/protocol/safe-text.js';
import { oneSentence, readResult, RESULT_FILE, resultInstructions } from '../../src/dispatch/results.js';
import { WorkerProcess, type WorkerLaunch } from '../../src/dispatch/worker-process.js';
import { CLAUDE_BIN, isolatedHome, type IsolatedHome } from '../helpers/claude.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import {
  API_ERRORS,
  firstUserText,
  HANG,
  startScriptedApi,
  type ScriptedApi,
  type Step,
} from '../fixtures/messages-api.js';

/** The result file a worker's prompt names. */
const resultFileIn = (prompt: string) => /(\/\S+\/\.context\/result\.md)/.exec(prompt)?.[1] ?? '';
const taskOf = (prompt: string) => /^task:(\S+)/.exec(prompt)?.[1] ?? '';

const SCRIPTS: Record<string, Step[]> = {
  write: [
    (ctx) => ({
      tool: 'Write',
      input: {
        file_path: resultFileIn(ctx.prompt),
        content: '# Findings\n\nsrc/a.ts: the cache never expires.\nDONE\n',
      },
      text: 'Writing my findings.',
    }),
    { text: 'The cache in src/a.ts never expires. Details are in the result file.' },
  ],
  forget: [{ text: 'I looked at everything and all is fine.' }],
  hang: [HANG],
  hostile: [
    { tool: 'Bash', input: { command: 'echo \u001b[31mred\u001b[0m' } },
    { text: 'Sure \u001b[2J\u001b]0;pwned\u0007 \u202eevil\u009b31m done\r\nnext line\u0000!' },
  ],
  resume: [{ text: 'First turn.' }, { text: 'Second turn.' }],
};

let api: ScriptedApi;
let home: IsolatedHome;
beforeAll(async () => {
  api = await startScriptedApi({
    steps: [],
    route: (ctx) => SCRIPTS[taskOf(ctx.prompt)] ?? null,
    error: (rec) => (taskOf(firstUserText(rec.body)) === 'refused' ? API_ERRORS.unauthorized : null),
  });
  home = await isolatedHome(api.url);
});
afterAll(async () => {
  await api.close();
  await home.cleanup();
});
const dirs: { remove(): void }[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()!.remove();
});

/** A worker on task `task` in a fresh folder, with what it reports as it runs. */
function worker(task: string, more: Partial<WorkerLaunch> = {}) {
  const d = tempDir('agency-worker-');
  dirs.push(d);
  const file = join(d.path, RESULT_FILE);
  const session = randomUUID();
  const proc = WorkerProcess.start({
    id: `w-${task}`,
    cwd: d.path,
    claudeBin: CLAUDE_BIN,
    model: 'haiku',
    prompt: `task:${task}\n\n${resultInstructions(file)}`,
    // the node bounds Claude Code's retries the same way; a refused key then ends the run at once
    env: { ...home.env, CLAUDE_CODE_MAX_RETRIES: '0' },
    claudeSession: session,
    extraArgs: ['--permission-mode', 'acceptEdits'],
    silenceMs: 30_000,
    ...more,
  });
  const activity: string[] = [];
  const usage: Usage[] = [];
  proc.onActivity((l) => activity.push(l));
  proc.onUsage((u) => usage.push(u));
  return { proc, file, cwd: d.path, session, activity, usage };
}

const mainRequests = (task: string) =>
  api.requests.filter((r) => r.kind === 'main' && taskOf(firstUserText(r.body)) === task);

describe('a worker’s claude', () => {
  it('writes its result file ending in DONE and replies one sentence: exit, usage and output read', async () => {
    const w = worker('write');
    expect(w.proc.pid).toBeGreaterThan(0);
    const exit = await w.proc.exited;
    expect(exit, JSON.stringify(w.proc.output())).toMatchObject({
      code: 0,
      signal: null,
      isError: false,
      reason: null,
      silent: false,
      result: 'The cache in src/a.ts never expires. Details are in the result file.',
    });
    expect(oneSentence(exit.result!)).toBe('The cache in src/a.ts never expires.');
    expect(readResult(w.file)).toEqual({
      done: true,
      text: '# Findings\n\nsrc/a.ts: the cache never expires.',
      truncated: false,
      problem: null,
    });

    // the scripted API's usage: input 100 + 50 per turn already taken, for two responses
    expect(exit.usage.inputTokens).toBe(250);
    expect(exit.usage.outputTokens).toBeGreaterThan(0);
    expect(exit.usage.costUsd).toBeGreaterThan(0);
    expect(w.usage.at(-1)?.inputTokens).toBe(250); // counted as it ran, each response once
    expect(w.usage.map((u) => u.inputTokens)).toEqual([100, 250]);

    expect(w.activity).toEqual([
      'started (claude-haiku-4-5-20251001)',
      'writing',
      'Write .context/result.md',
      'writing',
      'finished',
    ]);
    expect(w.proc.output()).toEqual({
      lines: [
        'started (claude-haiku-4-5-20251001)',
        'Writing my findings.',
        '→ Write .context/result.md',
        'The cache in src/a.ts never expires. Details are in the result file.',
        'finished: The cache in src/a.ts never expires. Details are in the result file.',
      ],
      truncated: false,
    });
  });

  it('replies without writing its file: it ended well, but its result is not done', async () => {
    const w = worker('forget');
    const exit = await w.proc.exited;
    expect(exit).toMatchObject({ code: 0, isError: false, result: 'I looked at everything and all is fine.' });
    expect(readResult(w.file)).toEqual({
      done: false,
      text: '',
      truncated: false,
      problem: `no result file: ${join(w.cwd, '.context')} does not exist`,
    });
  });

  it('prints nothing while its model hangs: interrupted after silenceMs, and marked silent', async () => {
    // long enough for claude to start and ask its model on a busy machine
    const w = worker('hang', { silenceMs: 5_000 });
    const exit = await w.proc.exited;
    expect(mainRequests('hang')).toHaveLength(1);
    // Claude Code takes SIGINT as the user's interrupt and exits 0, with no successful result
    expect(exit).toMatchObject({
      code: 0,
      signal: null,
      silent: true,
      isError: true,
      reason: 'printed nothing for 5 s and was interrupted',
    });
    expect(w.proc.output().lines).toContain('(printed nothing for 5 s: interrupted)');
  });

  it('is stopped while it runs: SIGTERM to its group, the reason kept', async () => {
    const w = worker('hang');
    const count = mainRequests('hang').length;
    await until('the worker to ask its model', () => mainRequests('hang').length > count, 30_000);
    const exit = await w.proc.stop('the operator stopped the run');
    // Claude Code exits 143 on SIGTERM, without a result
    expect(exit).toMatchObject({
      code: 143,
      silent: false,
      isError: true,
      result: null,
      reason: 'stopped: the operator stopped the run',
    });
    expect(await w.proc.stop('twice')).toBe(exit);
  });

  it('has its key refused (401): the reason names the API error', async () => {
    const w = worker('refused');
    const exit = await w.proc.exited;
    expect(exit).toMatchObject({
      code: 1,
      isError: true,
      silent: false,
      reason: 'API error 401: Invalid API key · Fix external API key',
    });
    expect(exit.usage).toMatchObject({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(w.activity.at(-1)).toBe('failed');
  });

  it('prints escape sequences and controls: its output, activity and result are plain text', async () => {
    const w = worker('hostile');
    const exit = await w.proc.exited;
    const { lines } = w.proc.output();
    for (const l of [...lines, ...w.activity]) expect(hasUnsafe(l), JSON.stringify(l)).toBe(false);
    expect(hasUnsafe(exit.result ?? '', 'layout')).toBe(false);
    expect(exit.result).toBe('Sure [2J]0;pwned evil31m done\nnext line!');
    expect(w.activity).toContain('Bash: echo [31mred[0m');
    // acceptEdits does not let Bash run: the refusal is in the log, on one plain line
    expect(lines.some((l) => l.startsWith('✗ Bash: '))).toBe(true);
    expect(lines).toContain('next line!');
  });

  it('is resumed with the next prompt as the next turn of the same conversation', async () => {
    const first = worker('resume');
    expect((await first.proc.exited).result).toBe('First turn.');
    const again = WorkerProcess.start({
      id: 'w-resume',
      cwd: first.cwd,
      claudeBin: CLAUDE_BIN,
      model: 'haiku',
      prompt: '--and now the second part',
      env: home.env,
      claudeSession: first.session,
      resume: true,
      silenceMs: 30_000,
    });
    const exit = await again.exited;
    expect(exit).toMatchObject({ isError: false, result: 'Second turn.' });
    const last = mainRequests('resume').at(-1)!;
    expect(last.turns).toBe(1);
    expect(JSON.stringify(last.body.messages)).toContain('--and now the second part');
  });
});
