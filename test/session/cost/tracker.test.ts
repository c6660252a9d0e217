import { appendFileSync, mkdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mainTranscriptPath, subagentDir } from '../../../src/session/cost/slug.js';
import { nodeTranscriptReader, UsageTracker, type TranscriptReader } from '../../../src/session/cost/tracker.js';
import { tempDir } from '../../helpers/tmp.js';
import { bookkeepingLines, jsonl, responseLines, SESSION_ID, toolResultLine, userLine } from './lines.js';

const CWD = '/work/some_repo.git';
// Opus 4.8 list prices, by hand: $5/M input, $25/M output, $0.50/M cache read.
const r1 = responseLines({ id: 'msg_1', input: 100, cacheRead: 1_000, outputs: [1, 20, 60] });
const r2 = responseLines({ id: 'msg_2', input: 200, outputs: [40] });
const r3 = responseLines({ id: 'msg_3', input: 300, outputs: [5, 80] });
const COST_1 = (100 * 5 + 60 * 25 + 1_000 * 0.5) / 1e6;
const COST_2 = (200 * 5 + 40 * 25) / 1e6;
const COST_3 = (300 * 5 + 80 * 25) / 1e6;
const subLines = responseLines({
  id: 'msg_sub',
  model: 'claude-haiku-4-5-20251001',
  input: 1_000,
  outputs: [10, 200],
  sidechain: true,
});
const COST_SUB = (1_000 * 1 + 200 * 5) / 1e6;

/** The real file system, counting the bytes each read returns. */
function countingReader(): TranscriptReader & { bytes: number } {
  const r = {
    bytes: 0,
    list: nodeTranscriptReader.list,
    stat: nodeTranscriptReader.stat,
    async read(path: string, position: number, length: number) {
      const buf = await nodeTranscriptReader.read(path, position, length);
      r.bytes += buf.length;
      return buf;
    },
  };
  return r;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

function setup(chunkBytes?: number) {
  const tmp = tempDir();
  cleanups.push(tmp.remove);
  const configDir = join(tmp.path, '.claude');
  const main = mainTranscriptPath(configDir, CWD, SESSION_ID);
  mkdirSync(join(main, '..'), { recursive: true });
  const reader = countingReader();
  const tracker = new UsageTracker({ configDir, cwd: CWD, sessionId: SESSION_ID, reader, chunkBytes });
  /** bytes read by the next update() */
  const readBy = async () => {
    const before = reader.bytes;
    const usage = await tracker.update();
    return { usage, bytes: reader.bytes - before };
  };
  return { configDir, main, tracker, reader, readBy };
}

describe('UsageTracker', () => {
  it('reads only the bytes appended since the last update', async () => {
    const { main, readBy } = setup();
    // a few MB of tool output first, the kind of prefix a long session has
    const big = toolResultLine('toolu_big', 'x'.repeat(1024 * 1024) + ' "usage" in the text ');
    const prefix = jsonl([...bookkeepingLines(), userLine('go'), ...r1, big, big, big]);
    writeFileSync(main, prefix);

    let step = await readBy();
    expect(step.bytes).toBe(Buffer.byteLength(prefix));
    expect(step.usage.messages).toBe(1);
    expect(step.usage.costUsd).toBeCloseTo(COST_1, 12);

    const more = jsonl([toolResultLine('toolu_msg_1_2', 'ok'), ...r2]);
    appendFileSync(main, more);
    step = await readBy();
    expect(step.bytes).toBe(Buffer.byteLength(more));
    expect(step.usage.messages).toBe(2);
    expect(step.usage.costUsd).toBeCloseTo(COST_1 + COST_2, 12);

    step = await readBy();
    expect(step.bytes).toBe(0);
    expect(step.usage.costUsd).toBeCloseTo(COST_1 + COST_2, 12);
  });

  it('keeps a half-written last line until its newline arrives, then counts it once', async () => {
    const { main, readBy } = setup();
    const line = r2[0] as string;
    writeFileSync(main, jsonl(r1) + line.slice(0, 100));
    let step = await readBy();
    expect(step.usage.messages).toBe(1);

    appendFileSync(main, line.slice(100, 250));
    step = await readBy();
    expect(step.bytes).toBe(150);
    expect(step.usage.messages).toBe(1);

    appendFileSync(main, line.slice(250) + '\n');
    step = await readBy();
    expect(step.bytes).toBe(Buffer.byteLength(line) - 250 + 1);
    expect(step.usage.messages).toBe(2);
    expect(step.usage.costUsd).toBeCloseTo(COST_1 + COST_2, 12);
  });

  it('gives the same totals whether a file is read whole or in tiny chunks', async () => {
    const text = jsonl([...bookkeepingLines(), ...r1, userLine('ünïcödé ✓ 🚀'), ...r2, ...r3]);
    const whole = setup();
    writeFileSync(whole.main, text);
    const expected = await whole.tracker.update();
    expect(expected.costUsd).toBeCloseTo(COST_1 + COST_2 + COST_3, 12);

    for (const chunk of [5, 64, 333]) {
      const s = setup(chunk);
      writeFileSync(s.main, text);
      expect(await s.tracker.update()).toEqual(expected);
      expect(s.reader.bytes).toBe(Buffer.byteLength(text));
    }
  });

  it('picks up subagent transcripts that appear later, and their growth', async () => {
    const { configDir, main, readBy } = setup();
    writeFileSync(main, jsonl(r1));
    expect((await readBy()).usage.messages).toBe(1);

    const dir = subagentDir(configDir, CWD, SESSION_ID);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'agent-a1b2.meta.json'),
      JSON.stringify({ agentType: 'reviewer', description: 'review', spawnDepth: 1 }),
    );
    const sub = join(dir, 'agent-a1b2.jsonl');
    writeFileSync(sub, jsonl([userLine('review'), ...subLines.slice(0, 1)]));
    let step = await readBy();
    expect(step.usage.messages).toBe(2);
    expect(step.usage.byModel['claude-haiku-4-5-20251001']?.outputTokens).toBe(10);

    appendFileSync(sub, jsonl(subLines.slice(1)));
    step = await readBy();
    expect(step.bytes).toBe(Buffer.byteLength(jsonl(subLines.slice(1))));
    expect(step.usage.byModel['claude-haiku-4-5-20251001']?.outputTokens).toBe(200);
    expect(step.usage.costUsd).toBeCloseTo(COST_1 + COST_SUB, 12);
  });

  it('starts over when a file shrinks', async () => {
    const { main, tracker, readBy } = setup();
    writeFileSync(main, jsonl([...r1, ...r2]));
    expect((await readBy()).usage.messages).toBe(2);

    truncateSync(main, 0);
    writeFileSync(main, jsonl(r3));
    const step = await readBy();
    expect(tracker.restarts).toBe(1);
    expect(step.bytes).toBe(Buffer.byteLength(jsonl(r3)));
    expect(step.usage.messages).toBe(1);
    expect(step.usage.costUsd).toBeCloseTo(COST_3, 12);
  });

  it('starts over when a file is replaced by another at the same path', async () => {
    const { main, tracker, readBy } = setup();
    writeFileSync(main, jsonl(r1));
    expect((await readBy()).usage.messages).toBe(1);

    const replacement = jsonl([...r2, ...r3]); // longer than before, so only its inode gives it away
    writeFileSync(main + '.tmp', replacement);
    const before = statSync(main).ino;
    renameSync(main + '.tmp', main);
    expect(statSync(main).ino).not.toBe(before);

    const step = await readBy();
    expect(tracker.restarts).toBe(1);
    expect(step.usage.messages).toBe(2);
    expect(step.usage.costUsd).toBeCloseTo(COST_2 + COST_3, 12);
  });

  it('reports nothing, without failing, before the session has written its transcript', async () => {
    const { main, readBy } = setup();
    rmSync(join(main, '..'), { recursive: true });
    const step = await readBy();
    expect(step.usage).toMatchObject({ messages: 0, costUsd: 0, inputTokens: 0, unpricedModels: [] });
  });

  it('runs overlapping updates one after another, so no byte is read twice', async () => {
    const { main, tracker, reader } = setup(512);
    const text = jsonl([...r1, ...r2, ...r3]);
    writeFileSync(main, text);
    const [a, b, c] = await Promise.all([tracker.update(), tracker.update(), tracker.update()]);
    expect(reader.bytes).toBe(Buffer.byteLength(text));
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    expect(c?.messages).toBe(3);
  });

  it('refuses a session id that could point outside the transcript folder', () => {
    expect(() => new UsageTracker({ configDir: '/h', cwd: '/p', sessionId: '../x' })).toThrow(/invalid session id/);
  });
});
