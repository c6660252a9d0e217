/**
 * UsageTracker.update() on a session with a large transcript, once a response has been appended,
 * against reading the whole transcript again (what a tracker without offsets would do every poll).
 * Run alone: `node --import tsx bench/cost-tracker.ts [megabytes]` (default 100).
 */
import { appendFileSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mainTranscriptPath } from '../src/session/cost/slug.js';
import { UsageTracker } from '../src/session/cost/tracker.js';
import { percentile, report } from './stats.js';

const SESSION = '0b7f1c2e-6a4d-4e8f-9c3b-2d5a7e9f1a0c';
const CWD = '/bench/repo';

function response(n: number): string {
  const row = (block: object, output: number): string =>
    JSON.stringify({
      parentUuid: null,
      isSidechain: false,
      type: 'assistant',
      requestId: `req_${n}`,
      sessionId: SESSION,
      cwd: CWD,
      message: {
        id: `msg_${n}`,
        model: 'claude-opus-4-8',
        role: 'assistant',
        content: [block],
        usage: {
          input_tokens: 10,
          cache_creation_input_tokens: 500,
          cache_read_input_tokens: 40_000,
          output_tokens: output,
          cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 500 },
          speed: 'standard',
        },
      },
    }) + '\n';
  return (
    row({ type: 'text', text: 'Looking at the file now.' }, 1) +
    row({ type: 'tool_use', id: `toolu_${n}`, name: 'Read', input: { file_path: '/bench/repo/src/a.ts' } }, 180)
  );
}

/** ~30 KB of tool output, the bulk of a real transcript. */
function toolResult(n: number): string {
  const content = `line ${n}: ${'const value = compute(input); '.repeat(1000)}`;
  return (
    JSON.stringify({
      type: 'user',
      message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${n}`, content }] },
    }) + '\n'
  );
}

export async function benchCostTracker(megabytes = 100, rounds = 30): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-cost-'));
  try {
    const configDir = join(dir, '.claude');
    const file = mainTranscriptPath(configDir, CWD, SESSION);
    mkdirSync(join(file, '..'), { recursive: true });
    const fd = openSync(file, 'w');
    let written = 0;
    let n = 0;
    while (written < megabytes * 1024 * 1024) {
      const text = response(n) + toolResult(n);
      writeSync(fd, text);
      written += Buffer.byteLength(text);
      n++;
    }
    closeSync(fd);

    const full: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await new UsageTracker({ configDir, cwd: CWD, sessionId: SESSION }).update();
      full.push(performance.now() - t);
    }

    const tracker = new UsageTracker({ configDir, cwd: CWD, sessionId: SESSION });
    await tracker.update();
    const inc: number[] = [];
    for (let i = 0; i < rounds; i++) {
      appendFileSync(file, response(n++));
      const t = performance.now();
      const usage = await tracker.update();
      inc.push(performance.now() - t);
      if (usage.messages !== n) throw new Error(`expected ${n} responses, counted ${usage.messages}`);
    }
    const mb = (written / 1024 / 1024).toFixed(0);
    report(
      `cost tracker update, +1 response on ${mb} MB, p50`,
      percentile(inc, 50),
      'ms',
      percentile(full, 50),
      'reading it all',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchCostTracker(Number(process.argv[2] ?? 100));
}
