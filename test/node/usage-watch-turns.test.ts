/** A session's turns reach the node's ledger from its transcript, fast, and once across a node's restart. */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageWatch, type TurnSink } from '../../src/node/usage-watch.js';
import { DEAREST } from '../../src/node/turn-price.js';
import type { SessionRecord } from '../../src/node/state-file.js';
import type { Turn } from '../../src/protocol/economics.js';
import { mainTranscriptPath } from '../../src/session/cost/index.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { jsonl, responseLines, SESSION_ID } from '../session/cost/lines.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

const at = (line: string, iso: string) => line.replace(/"timestamp":"[^"]*"/, `"timestamp":"${iso}"`);

function session(state: SessionRecord['state'] = 'working') {
  const dir = tempDir('agency-turns-');
  cleanups.push(dir.remove);
  const record = {
    id: 's-turns',
    state,
    worktree: '/w/s-turns',
    claudeSession: SESSION_ID,
    discipline: 'backend',
    vp: 'vp-eng',
    usage: {},
  } as SessionRecord;
  const file = mainTranscriptPath(dir.path, record.worktree, record.claudeSession);
  const env = { CLAUDE_CONFIG_DIR: dir.path };
  return { record, file, env };
}

function ledger(recordedTo: number | null = null): TurnSink & { turns: Turn[] } {
  const turns: Turn[] = [];
  return { turns, record: (t) => turns.push(t), sessionRecordedTo: () => recordedTo };
}

describe("a session's turns", () => {
  it('are recorded with its VP, discipline, model, time and priced spend', async () => {
    const { record, file, env } = session();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      jsonl(
        responseLines({ id: 'msg_1', input: 1_000_000, outputs: [1, 2] }).map((l) => at(l, '2030-01-01T10:00:00.000Z')),
      ),
    );
    const sink = ledger();
    const w = new UsageWatch(record, env, () => undefined, undefined, sink);
    cleanups.push(() => w.close());
    await w.refresh(true);
    expect(sink.turns).toEqual([
      {
        at: '2030-01-01T10:00:00.000Z',
        session: 's-turns',
        worker: null,
        vp: 'vp-eng',
        discipline: 'backend',
        model: 'claude-opus-4-8',
        // Opus 4.8: $5 per million input tokens, $25 per million output
        spend: {
          inputTokens: 1_000_000,
          outputTokens: 1,
          cacheCreationTokens: 0,
          cacheReadTokens: 0,
          costUsd: 5 + 25e-6,
        },
      },
      expect.objectContaining({ spend: expect.objectContaining({ inputTokens: 0, outputTokens: 1 }) as unknown }),
    ]);
  });

  it('a model with no known price counts at the dearest known rate, and the operator is told once', async () => {
    const { record, file, env } = session();
    mkdirSync(dirname(file), { recursive: true });
    const lines = [
      ...responseLines({ id: 'msg_a', model: 'claude-opus-9-9', input: 1_000_000, outputs: [1] }),
      ...responseLines({ id: 'msg_b', model: 'claude-opus-9-9', input: 1_000_000, outputs: [1] }),
    ];
    writeFileSync(file, jsonl(lines));
    const sink = ledger();
    const warnings: string[] = [];
    const w = new UsageWatch(
      record,
      env,
      () => undefined,
      undefined,
      sink,
      (t) => warnings.push(t),
    );
    cleanups.push(() => w.close());
    await w.refresh(true);
    expect(sink.turns).toHaveLength(2);
    // the dearest input price known ($15 per million, Opus 4), never $0
    expect(sink.turns[0]!.spend.costUsd).toBeCloseTo(DEAREST.input + DEAREST.output * 1e-6, 9);
    expect(DEAREST.input).toBeGreaterThanOrEqual(15);
    expect(warnings).toEqual([
      expect.stringMatching(/^no price is known for model "claude-opus-9-9": its turns count/),
    ]);
  });

  it('a new line reaches the ledger without waiting for a poll, even when the folder appears after the watch', async () => {
    const { record, file, env } = session();
    const sink = ledger();
    const w = new UsageWatch(record, env, () => undefined, undefined, sink);
    cleanups.push(() => w.close());
    // claude makes its project folder and writes its first response
    mkdirSync(dirname(file), { recursive: true });
    const t0 = performance.now();
    writeFileSync(file, jsonl(responseLines({ id: 'msg_1', input: 10, outputs: [5] })));
    await until('the first turn', () => sink.turns.length === 1, 1000);
    appendFileSync(file, jsonl(responseLines({ id: 'msg_2', input: 20, outputs: [5] })));
    await until('the second turn', () => sink.turns.length === 2, 1000);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(sink.turns.map((t) => t.spend.inputTokens)).toEqual([10, 20]);
  });

  it('read again after the node restarted, what was recorded is not recorded twice', async () => {
    const { record, file, env } = session();
    mkdirSync(dirname(file), { recursive: true });
    const first = responseLines({ id: 'msg_1', input: 10, outputs: [5] }).map((l) => at(l, '2030-01-01T10:00:00.000Z'));
    const later = responseLines({ id: 'msg_2', input: 20, outputs: [5] }).map((l) => at(l, '2030-01-01T10:05:00.000Z'));
    writeFileSync(file, jsonl([...first, ...later]));
    // the ledger holds the first response's turn: the node stopped before it read the second
    const sink = ledger(Date.parse('2030-01-01T10:00:00.000Z'));
    const w = new UsageWatch(record, env, () => undefined, undefined, sink);
    cleanups.push(() => w.close());
    await w.refresh(true);
    expect(sink.turns.map((t) => t.spend.inputTokens)).toEqual([20]);
  });
});
