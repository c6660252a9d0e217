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

/** A ledger that keeps turns and where they were read, as the node's does across a restart. */
function ledger(readTo = new Map<string, number>()): TurnSink & { turns: Turn[]; readTo: Map<string, number> } {
  const turns: Turn[] = [];
  return {
    turns,
    readTo,
    record: (t, read) => {
      turns.push(t);
      if (read) readTo.set(read.file, Math.max(readTo.get(read.file) ?? 0, read.end));
    },
    sessionReadTo: () => readTo,
  };
}

const untimed = (line: string) => line.replace(/"timestamp":"[^"]*",?/, '');

describe("a session's turns", () => {
  it("are recorded with its VP, discipline, model, the transcript's time when it is a recent one, and priced spend", async () => {
    const { record, file, env } = session();
    mkdirSync(dirname(file), { recursive: true });
    const when = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(
      file,
      jsonl(responseLines({ id: 'msg_1', input: 1_000_000, outputs: [1, 2] }).map((l) => at(l, when))),
    );
    const sink = ledger();
    const w = new UsageWatch(record, env, () => undefined, undefined, sink);
    cleanups.push(() => w.close());
    await w.refresh(true);
    expect(sink.turns).toEqual([
      {
        at: when,
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
    const first = responseLines({ id: 'msg_1', input: 10, outputs: [5] });
    writeFileSync(file, jsonl(first));
    const sink = ledger();
    const before = new UsageWatch(record, env, () => undefined, undefined, sink);
    await before.refresh(true);
    before.close();
    // the second response bears the very same time as the first (both lines of the fixture say 10:00:00.000)
    appendFileSync(file, jsonl(responseLines({ id: 'msg_2', input: 20, outputs: [5] })));
    const w = new UsageWatch(record, env, () => undefined, undefined, sink);
    cleanups.push(() => w.close());
    await w.refresh(true);
    await w.refresh(true);
    expect(sink.turns.map((t) => t.spend.inputTokens)).toEqual([10, 20]);
  });

  it('a line with no time is recorded once, not again after every restart', async () => {
    const { record, file, env } = session();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, jsonl(responseLines({ id: 'msg_1', input: 10, outputs: [5] }).map(untimed)));
    const sink = ledger();
    for (let restart = 0; restart < 3; restart++) {
      const w = new UsageWatch(record, env, () => undefined, undefined, sink);
      await w.refresh(true);
      w.close();
    }
    expect(sink.turns.map((t) => t.spend.inputTokens)).toEqual([10]);
  });

  it("a line dated in the future or long ago is recorded at the node's time", async () => {
    const { record, file, env } = session();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      jsonl([
        ...responseLines({ id: 'msg_1', input: 10, outputs: [5] }).map((l) => at(l, '2099-01-01T00:00:00.000Z')),
        ...responseLines({ id: 'msg_2', input: 20, outputs: [5] }).map((l) => at(l, '2001-01-01T00:00:00.000Z')),
        ...responseLines({ id: 'msg_3', input: 30, outputs: [5] }).map((l) => at(l, '+275760-09-13T00:00:00.000Z')),
      ]),
    );
    const sink = ledger();
    const w = new UsageWatch(record, env, () => undefined, undefined, sink);
    cleanups.push(() => w.close());
    const t0 = Date.now();
    await w.refresh(true);
    const t1 = Date.now();
    expect(sink.turns.map((t) => t.spend.inputTokens)).toEqual([10, 20, 30]);
    for (const t of sink.turns) {
      expect(Date.parse(t.at)).toBeGreaterThanOrEqual(t0);
      expect(Date.parse(t.at)).toBeLessThanOrEqual(t1);
    }
  });

  it('a ledger that throws loses no later turn: the reading goes on', async () => {
    const { record, file, env } = session();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      jsonl([
        ...responseLines({ id: 'msg_1', input: 10, outputs: [5] }),
        ...responseLines({ id: 'msg_2', input: 20, outputs: [5] }),
      ]),
    );
    const turns: Turn[] = [];
    let calls = 0;
    const sink: TurnSink = {
      record: (t) => {
        if (++calls === 1) throw new Error('the disk is full');
        turns.push(t);
      },
    };
    const usage: number[] = [];
    const w = new UsageWatch(record, env, (u) => usage.push(u.inputTokens), undefined, sink);
    cleanups.push(() => w.close());
    await w.refresh(true);
    expect(turns.map((t) => t.spend.inputTokens)).toEqual([20]);
    // the session's own usage is read in full all the same
    expect(usage).toEqual([30]);
  });

  it('an API error in the history of a session that is not running is not heard (it cannot pause the node)', async () => {
    const { record, file, env } = session('exited');
    mkdirSync(dirname(file), { recursive: true });
    const error = JSON.stringify({
      type: 'assistant',
      // written an hour before this node started
      timestamp: new Date(Date.now() - 3_600_000).toISOString(),
      isApiErrorMessage: true,
      error: 'rate_limit',
      apiErrorStatus: 429,
      message: { id: 'x', model: '<synthetic>', content: [{ type: 'text', text: 'API Error: 429' }], usage: {} },
    });
    writeFileSync(file, `${error}\n`);
    const heard: unknown[] = [];
    const w = new UsageWatch(
      record,
      env,
      () => undefined,
      (t) => heard.push(t),
      ledger(),
    );
    cleanups.push(() => w.close());
    await w.refresh(true);
    expect(heard).toEqual([]);
  });
});
