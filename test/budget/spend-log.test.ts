import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTurnLine, SpendLog, spendDir, turnLine } from '../../src/budget/spend-log.js';
import type { CostBy, Turn } from '../../src/protocol/economics.js';

let home: string;
let dir: string;
const logs: SpendLog[] = [];
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'agency-spend-'));
  dir = spendDir(home);
});
afterEach(() => {
  for (const l of logs.splice(0)) l.close();
  rmSync(home, { recursive: true, force: true });
});

function open(now = '2030-05-02T12:30:00.000Z', warnings: string[] = []): SpendLog {
  const log = SpendLog.open({ dir, warn: (w) => warnings.push(w), now: () => new Date(now) });
  logs.push(log);
  return log;
}

function turn(at: string, o: Partial<Omit<Turn, 'at' | 'spend'>> & { usd?: number; input?: number } = {}): Turn {
  return {
    at,
    session: o.session ?? 's-one',
    worker: o.worker ?? null,
    vp: o.vp === undefined ? 'vp-eng' : o.vp,
    discipline: o.discipline ?? 'backend',
    model: o.model ?? 'claude-sonnet-4-5',
    spend: {
      inputTokens: o.input ?? 100,
      outputTokens: 20,
      cacheCreationTokens: 5,
      cacheReadTokens: 1000,
      costUsd: o.usd ?? 0.01,
    },
  };
}

/** the same figures summed independently of the ledger */
function sum(turns: Turn[], key: (t: Turn) => string): Map<string, { usd: number; input: number; turns: number }> {
  const m = new Map<string, { usd: number; input: number; turns: number }>();
  for (const t of turns) {
    const r = m.get(key(t)) ?? { usd: 0, input: 0, turns: 0 };
    r.usd += t.spend.costUsd;
    r.input += t.spend.inputTokens;
    r.turns += 1;
    m.set(key(t), r);
  }
  return m;
}

describe('the spend log', () => {
  it('appends each turn as a line, hears it at once, and reads everything back after a restart', () => {
    const log = open();
    const heard: Turn[] = [];
    log.onTurn((t) => heard.push(t));
    const a = turn('2030-05-02T10:00:01.000Z', { usd: 0.25 });
    const b = turn('2030-05-02T10:05:00.000Z', { worker: 'w-1', usd: 0.5, model: 'claude-haiku-4-5' });
    log.record(a);
    log.record(b);
    expect(heard).toEqual([a, b]);
    expect(readFileSync(join(dir, '2030-05-02.log'), 'utf8').split('\n')).toHaveLength(3);
    expect(log.session('s-one').costUsd).toBeCloseTo(0.75);
    log.close();

    const again = open();
    expect(again.turnsLoaded).toBe(2);
    expect(again.session('s-one').costUsd).toBeCloseTo(0.75);
    expect(again.session('s-one').inputTokens).toBe(200);
    expect(again.today().node.costUsd).toBeCloseTo(0.75);
    expect(again.today().vps.get('vp-eng')!.costUsd).toBeCloseTo(0.75);
    // only the session's own turns mark how far its transcripts were recorded
    expect(again.sessionReadTo('s-one')).toEqual(new Map());
    again.record(turn('2030-05-02T10:06:00.000Z'), { file: 'x.jsonl', end: 120 });
    again.record(turn('2030-05-02T10:06:00.000Z', { worker: 'w-2' }));
    again.close();
    expect(open().sessionReadTo('s-one')).toEqual(new Map([['x.jsonl', 120]]));
  });

  it('skips a torn line and a malformed one, naming file and line, and loses nothing else', () => {
    const log = open();
    log.record(turn('2030-05-02T09:00:00.000Z', { usd: 1 }));
    log.close();
    const file = join(dir, '2030-05-02.log');
    appendFileSync(file, 'not a turn at all\n');
    appendFileSync(file, turnLine(turn('2030-05-02T09:01:00.000Z', { usd: 2 })));
    // a crash in the middle of a write
    appendFileSync(file, turnLine(turn('2030-05-02T09:02:00.000Z', { usd: 4 })).slice(0, 30));

    const warnings: string[] = [];
    const back = open(undefined, warnings);
    expect(back.turnsLoaded).toBe(2);
    expect(back.session('s-one').costUsd).toBeCloseTo(3);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`${file}: line 2 skipped`);
    expect(warnings[1]).toContain(`${file}: line 4 skipped`);

    // the next turn starts a line of its own after the torn one
    back.record(turn('2030-05-02T09:03:00.000Z', { usd: 8 }));
    back.close();
    const third: string[] = [];
    const again = open(undefined, third);
    expect(again.session('s-one').costUsd).toBeCloseTo(11);
    expect(third.map((w) => w.replace(/skipped.*/, ''))).toEqual([`${file}: line 2 `, `${file}: line 4 `]);
  });

  it('writes each UTC day to its own file and starts a new day from zero', () => {
    const log = open('2030-05-03T00:10:00.000Z');
    log.record(turn('2030-05-02T23:59:59.000Z', { usd: 1 }));
    log.record(turn('2030-05-03T00:00:01.000Z', { usd: 2 }));
    expect(readdirSync(dir).sort()).toEqual(['2030-05-02.log', '2030-05-03.log']);
    const today = log.today();
    expect(today.day).toBe('2030-05-03');
    expect(today.node.costUsd).toBeCloseTo(2);
    expect(log.session('s-one').costUsd).toBeCloseTo(3);
    const spend = log.spend();
    expect(spend.hours).toHaveLength(24);
    expect(spend.hours.at(-1)).toMatchObject({ hour: '2030-05-03T00:00:00.000Z', costUsd: 2 });
    expect(spend.hours.at(-2)).toMatchObject({ hour: '2030-05-02T23:00:00.000Z', costUsd: 1 });
    expect(spend.hours[0]!.hour).toBe('2030-05-02T01:00:00.000Z');
    // the 60 minutes up to 00:10 hold both turns, across the day's end
    expect(spend.lastHour!.costUsd).toBeCloseTo(3);
    expect(spend.lastHour!.tokens).toBe(2 * 1125);
    expect(spend.vps).toEqual({ 'vp-eng': expect.objectContaining({ costUsd: 2 }) as unknown });
  });

  it('answers grouped by each key, merged per key, with a total, and from a time on', () => {
    const log = open();
    const turns = [
      turn('2030-05-01T08:00:00.000Z', { session: 's-a', vp: 'vp-eng', discipline: 'backend', usd: 1, input: 1 }),
      turn('2030-05-02T08:00:00.000Z', {
        session: 's-a',
        vp: 'vp-eng',
        model: 'claude-haiku-4-5',
        worker: 'w-1',
        usd: 2,
        input: 2,
      }),
      turn('2030-05-02T09:00:30.000Z', { session: 's-b', vp: null, discipline: 'frontend', usd: 4, input: 4 }),
      turn('2030-05-02T09:30:00.000Z', { session: 's-c', vp: 'vp-ops', discipline: 'frontend', usd: 8, input: 8 }),
      // recorded late: older than what came before it
      turn('2030-05-02T08:59:00.000Z', { session: 's-c', vp: 'vp-ops', discipline: 'frontend', usd: 16, input: 16 }),
    ];
    for (const t of turns) log.record(t);
    const keys: Record<CostBy, (t: Turn) => string> = {
      session: (t) => t.session,
      vp: (t) => t.vp ?? '(none)',
      node: () => 'node-1',
      discipline: (t) => t.discipline,
      model: (t) => t.model,
    };
    for (const since of [null, '2030-05-02T09:00:10.000Z', '2030-05-02T08:30:00.000Z']) {
      // since counts from the start of its minute
      const from = since === null ? -Infinity : Math.floor(Date.parse(since) / 60000) * 60000;
      const included = turns.filter((t) => Date.parse(t.at) >= from);
      for (const [by, key] of Object.entries(keys) as [CostBy, (t: Turn) => string][]) {
        const r = log.query(by, since === null ? null : new Date(since), 'node-1');
        const expected = sum(included, key);
        expect(r.by).toBe(by);
        expect(r.since).toBe(since);
        expect(new Set(r.rows.map((x) => x.key))).toEqual(new Set(expected.keys()));
        for (const x of r.rows) {
          expect(x.costUsd).toBeCloseTo(expected.get(x.key)!.usd);
          expect(x.inputTokens).toBe(expected.get(x.key)!.input);
          expect(x.turns).toBe(expected.get(x.key)!.turns);
        }
        expect(r.total.turns).toBe(included.length);
        expect(r.total.inputTokens).toBe(included.reduce((n, t) => n + t.spend.inputTokens, 0));
        // the most spent first
        expect(r.rows.map((x) => x.costUsd)).toEqual([...r.rows.map((x) => x.costUsd)].sort((a, b) => b - a));
      }
    }
  });

  it('keeps a hostile model name to its own field, and records it as "(other)"', () => {
    const log = open();
    const t = turn('2030-05-02T08:00:00.000Z', { model: 'evil\tmodel\nx\\t', usd: 1 });
    log.record(t);
    log.close();
    const back = open();
    expect(back.query('model', null, 'n').rows.map((r) => r.key)).toEqual(['(other)']);
    const read = readTurnLine(turnLine(t).slice(0, -1));
    expect('turn' in read && read.turn).toEqual(t);
  });

  it('records no figure that is not finite, bounds each, and names only models as models', () => {
    const log = open();
    const huge = turn('2030-05-02T08:00:00.000Z', { model: `claude-${'x'.repeat(2000)}`, input: 1e308, usd: Infinity });
    log.record(huge);
    log.record(turn('2030-05-02T08:00:01.000Z', { model: 'claude-opus-4-8 (fast)', input: 1e308, usd: NaN }));
    const rows = log.query('model', null, 'n').rows;
    expect(rows.map((r) => r.key).sort()).toEqual(['(other)', 'claude-opus-4-8 (fast)']);
    const total = log.query('node', null, 'n').total;
    expect(Number.isFinite(total.inputTokens) && Number.isFinite(total.costUsd)).toBe(true);
    expect(total.inputTokens).toBe(2e9);
    expect(JSON.parse(JSON.stringify(log.spend())).today.inputTokens).toBe(2e9);
    log.close();
    // every line reads back
    const warnings: string[] = [];
    expect(open(undefined, warnings).turnsLoaded).toBe(2);
    expect(warnings).toEqual([]);
  });

  it('a session naming model after model: its groups stay few, the rest counted as "(other)"', () => {
    const log = open();
    for (let i = 0; i < 500; i++) log.record(turn('2030-05-02T08:00:00.000Z', { model: `claude-x-${i}`, usd: 1 }));
    const rows = log.query('model', null, 'n').rows;
    expect(rows).toHaveLength(21);
    expect(rows[0]).toMatchObject({ key: '(other)', turns: 480, costUsd: 480 });
    expect(log.size().groups).toBe(21);
  });

  it("a turn dated after the node's clock is recorded at the node's time: today's figures stay today's", () => {
    const log = open('2030-05-02T12:30:00.000Z');
    log.record(turn('2099-01-01T00:00:00.000Z', { usd: 1 }));
    log.record(turn('2030-05-02T12:29:00.000Z', { usd: 2 }));
    expect(log.today()).toMatchObject({ day: '2030-05-02', node: { costUsd: 3 } });
    expect(readdirSync(dir)).toEqual(['2030-05-02.log']);
    log.close();
    expect(open().today().node.costUsd).toBe(3);
  });

  it('a write that fails loses nothing: the turn counts at once, warns once, and is written when the disk takes it', () => {
    const warnings: string[] = [];
    const log = open('2030-05-02T12:30:00.000Z', warnings);
    // a full disk: the day's file is the device that answers every write with ENOSPC
    symlinkSync('/dev/full', join(dir, '2030-05-02.log'));
    const heard: Turn[] = [];
    log.onTurn((t) => heard.push(t));
    expect(() => log.record(turn('2030-05-02T12:00:00.000Z', { usd: 1 }))).not.toThrow();
    log.record(turn('2030-05-02T12:01:00.000Z', { usd: 2 }));
    expect(log.session('s-one').costUsd).toBe(3);
    expect(heard).toHaveLength(2);
    expect(log.pending).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot write .*spend \(.*ENOSPC.*\): turns are kept in memory/);
    // space again
    rmSync(join(dir, '2030-05-02.log'));
    log.record(turn('2030-05-02T12:02:00.000Z', { usd: 4 }));
    expect(log.pending).toBe(0);
    expect(warnings.at(-1)).toMatch(/can be written again/);
    log.close();
    const back = open();
    expect(back.turnsLoaded).toBe(3);
    expect(back.session('s-one').costUsd).toBe(7);
  });

  it('refuses a line with a negative or missing count', () => {
    const good = turnLine(turn('2030-05-02T08:00:00.000Z')).slice(0, -1).split('\t');
    for (const [i, v] of [
      [6, '-1'],
      [10, ''],
      [0, 'yesterday'],
      [5, ''],
    ] as const) {
      const bad = [...good];
      bad[i] = v;
      expect(readTurnLine(bad.join('\t'))).toHaveProperty('problem');
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '2030-05-02.log'), good.join('\t') + '\n');
    expect(open().turnsLoaded).toBe(1);
  });
});
