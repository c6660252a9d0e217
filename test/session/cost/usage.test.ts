import { describe, expect, it } from 'vitest';
import { UsageAccumulator, usageFromLines, usageFromText } from '../../../src/session/cost/usage.js';
import { bookkeepingLines, jsonl, responseLines, toolResultLine, userLine } from './lines.js';

// A small session, priced by hand below from the published list prices (USD per million tokens):
// Opus 4.8 $5 in / $25 out / $6.25 5m write / $10 1h write / $0.50 read; Haiku 4.5 $1 / $5 / - / - / $0.10.
const A = responseLines({
  id: 'msg_A',
  model: 'claude-opus-4-8',
  input: 100,
  cache5m: 1_200,
  cache1h: 800,
  cacheRead: 5_000,
  outputs: [1, 40, 120],
});
const B = responseLines({ id: 'msg_B', model: 'claude-opus-4-8', input: 50, cacheRead: 7_000, outputs: [30] });
const SUB = responseLines({
  id: 'msg_S',
  model: 'claude-haiku-4-5-20251001',
  input: 300,
  cacheRead: 1_000,
  outputs: [10, 50],
  sidechain: true,
});
const COST_A = (100 * 5 + 120 * 25 + 1_200 * 6.25 + 800 * 10 + 5_000 * 0.5) / 1e6; // 0.0215
const COST_B = (50 * 5 + 30 * 25 + 7_000 * 0.5) / 1e6; // 0.0045
const COST_SUB = (300 * 1 + 50 * 5 + 1_000 * 0.1) / 1e6; // 0.00065

const session = (): string[] => [
  ...bookkeepingLines(),
  userLine('do it'),
  ...A,
  toolResultLine('toolu_msg_A_2', 'hi'),
  ...B,
];

describe('usage of transcript lines', () => {
  it('counts a response written as several rows once, with its largest output_tokens', () => {
    const u = usageFromLines(A);
    expect(u.messages).toBe(1);
    expect(u).toMatchObject({
      inputTokens: 100,
      outputTokens: 120,
      cacheCreationTokens: 2_000,
      cacheCreation1hTokens: 800,
      cacheReadTokens: 5_000,
    });
    expect(u.costUsd).toBeCloseTo(0.0215, 12);
  });

  it('prices each model of a main file and a subagent file at its own list price', () => {
    const acc = new UsageAccumulator();
    for (const line of [...session(), ...SUB]) acc.addLine(line);
    const u = acc.usage();
    expect(u.costUsd).toBeCloseTo(COST_A + COST_B + COST_SUB, 12);
    expect(u.unpricedModels).toEqual([]);
    expect(u.messages).toBe(3);
    expect(u).toMatchObject({
      inputTokens: 450,
      outputTokens: 200,
      cacheCreationTokens: 2_000,
      cacheReadTokens: 13_000,
    });
    expect(Object.keys(u.byModel).sort()).toEqual(['claude-haiku-4-5-20251001', 'claude-opus-4-8']);
    expect(u.byModel['claude-opus-4-8']).toMatchObject({ messages: 2, inputTokens: 150, outputTokens: 150 });
    expect(u.byModel['claude-opus-4-8']?.costUsd).toBeCloseTo(COST_A + COST_B, 12);
    expect(u.byModel['claude-haiku-4-5-20251001']?.costUsd).toBeCloseTo(COST_SUB, 12);
  });

  it('gives the same totals whatever order the rows arrive in, and however often', () => {
    const lines = [...session(), ...SUB];
    const expected = usageFromLines(lines);
    for (let seed = 1; seed <= 20; seed++) {
      const shuffled = [...lines];
      let s = seed;
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        const j = s % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
      }
      expect(usageFromLines([...shuffled, ...shuffled.slice(0, seed)])).toEqual(expected);
    }
  });

  it('keeps the largest value of each usage field separately', () => {
    const [first, second] = [
      responseLines({ id: 'msg_M', input: 10, cacheRead: 500, outputs: [2] })[0] as string,
      responseLines({ id: 'msg_M', input: 7, cacheRead: 900, cache5m: 40, outputs: [1] })[0] as string,
    ];
    expect(usageFromLines([first, second])).toMatchObject({
      messages: 1,
      inputTokens: 10,
      cacheReadTokens: 900,
      cacheCreationTokens: 40,
      outputTokens: 2,
    });
  });

  it('tells responses apart by message id and request id', () => {
    const one = responseLines({ id: 'msg_R', requestId: 'req_1', input: 10, outputs: [5] });
    const two = responseLines({ id: 'msg_R', requestId: 'req_2', input: 10, outputs: [5] });
    expect(usageFromLines([...one, ...two])).toMatchObject({ messages: 2, inputTokens: 20, outputTokens: 10 });
  });

  it('falls back to the message id alone when a gateway leaves out requestId', () => {
    const lines = responseLines({ id: 'msg_G', requestId: null, input: 10, outputs: [3, 9] });
    expect(lines.every((l) => !('requestId' in JSON.parse(l)))).toBe(true);
    expect(usageFromLines(lines)).toMatchObject({ messages: 1, inputTokens: 10, outputTokens: 9 });
  });

  it("counts an unknown model's tokens but leaves its cost out and names it", () => {
    const mystery = responseLines({ id: 'msg_X', model: 'claude-opus-4-9', input: 1_000, outputs: [100] });
    const u = usageFromLines([...B, ...mystery]);
    expect(u.inputTokens).toBe(1_050);
    expect(u.outputTokens).toBe(130);
    expect(u.costUsd).toBeCloseTo(COST_B, 12);
    expect(u.unpricedModels).toEqual(['claude-opus-4-9']);
    expect(u.byModel['claude-opus-4-9']).toMatchObject({ inputTokens: 1_000, outputTokens: 100, costUsd: null });
  });

  it('skips garbage and lines without usage, and never throws', () => {
    const garbage = [
      '',
      '   ',
      'not json',
      '{"type":"assistant","message":{"id":"msg_half","usage":{"input_tokens":5', // cut mid-write
      'null',
      '[1,2,3]',
      '"assistant"',
      '{"type":"assistant"}',
      '{"type":"assistant","message":null}',
      '{"type":"assistant","message":{"id":"msg_nousage","model":"claude-opus-4-8"}}',
      '{"type":"assistant","message":{"id":"msg_str","model":"claude-opus-4-8","usage":"lots"}}',
      '{"type":"user","message":{"id":"msg_user","usage":{"input_tokens":999}}}',
      '\u0000\u00ff\ufffd',
    ];
    const u = usageFromLines([...garbage, ...B]);
    expect(u.messages).toBe(1);
    expect(u.inputTokens).toBe(50);
    expect(u.costUsd).toBeCloseTo(COST_B, 12);
  });

  it('reads odd usage values as zero rather than failing', () => {
    // 1e400 parses to Infinity
    const line =
      '{"type":"assistant","requestId":"req_odd","message":{"id":"msg_odd","model":"claude-opus-4-8","usage":' +
      '{"input_tokens":"12","output_tokens":-4,"cache_read_input_tokens":null,"cache_creation_input_tokens":1e400}}}';
    expect(usageFromLines([line])).toMatchObject({
      messages: 1,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheCreationTokens: 0,
      costUsd: 0,
    });
  });

  it('skips a half-written last line, and counts it once it is complete', () => {
    const text = jsonl(session());
    const done = text + (B[0] as string).replace(/msg_B/g, 'msg_C') + '\n';
    const cut = done.slice(0, text.length + 300);
    expect(usageFromText(cut).messages).toBe(2);
    expect(usageFromText(done).messages).toBe(3);
    expect(usageFromText(done).costUsd).toBeCloseTo(COST_A + 2 * COST_B, 12);
  });

  it('strips [1m] from model ids and ignores the messages Claude Code makes up itself', () => {
    const long = responseLines({
      id: 'msg_L',
      model: 'claude-opus-4-8[1m]',
      input: 50,
      cacheRead: 7_000,
      outputs: [30],
    });
    const synthetic = responseLines({ id: 'msg_syn', model: '<synthetic>', outputs: [0] });
    const u = usageFromLines([...long, ...synthetic]);
    expect(Object.keys(u.byModel)).toEqual(['claude-opus-4-8']);
    expect(u.messages).toBe(1);
    expect(u.costUsd).toBeCloseTo(COST_B, 12);
  });

  it('puts every cache write at the 5-minute price when the 1-hour split is missing', () => {
    const line = JSON.stringify({
      type: 'assistant',
      requestId: 'req_old',
      message: {
        id: 'msg_old',
        model: 'claude-sonnet-4-5-20250929',
        usage: { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 1_000 },
      },
    });
    const u = usageFromLines([line]);
    expect(u.cacheCreation1hTokens).toBe(0);
    expect(u.costUsd).toBeCloseTo((10 * 3 + 20 * 15 + 1_000 * 3.75) / 1e6, 12);
  });

  it('prices fast-mode responses apart and web searches per request', () => {
    const fast = responseLines({
      id: 'msg_F',
      model: 'claude-opus-4-8',
      input: 100,
      outputs: [10],
      speed: 'fast',
      webSearches: 2,
    });
    const u = usageFromLines([...fast, ...B]);
    expect(u.byModel['claude-opus-4-8 (fast)']?.costUsd).toBeCloseTo((100 * 10 + 10 * 50) / 1e6 + 0.02, 12);
    expect(u.webSearchRequests).toBe(2);
    expect(u.costUsd).toBeCloseTo((100 * 10 + 10 * 50) / 1e6 + 0.02 + COST_B, 12);
  });

  it('starts from nothing after reset', () => {
    const acc = new UsageAccumulator();
    for (const line of session()) acc.addLine(line);
    acc.reset();
    expect(acc.usage()).toEqual(usageFromLines([]));
    for (const line of B) acc.addLine(line);
    expect(acc.usage().messages).toBe(1);
  });
});
