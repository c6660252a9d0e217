/**
 * The turn gate: a PostToolBatch hook of a session a budget covers is answered only once the node has read (and
 * so recorded) the response that made the batch's tool calls; any other is answered at once. Over the guard's
 * real socket, with a real transcript written after the hook asked.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGuardServer } from '../../src/node/guard-server.js';
import { batchCalls, turnGate } from '../../src/node/turn-gate.js';
import { UsageWatch } from '../../src/node/usage-watch.js';
import type { SessionRecord } from '../../src/node/state-file.js';
import type { Turn } from '../../src/protocol/economics.js';
import { mainTranscriptPath } from '../../src/session/cost/index.js';
import { tempDir } from '../helpers/tmp.js';
import { jsonl, responseLines, SESSION_ID } from '../session/cost/lines.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function watched() {
  const dir = tempDir('agency-gate-');
  cleanups.push(dir.remove);
  const record = {
    id: 's-1',
    state: 'working',
    worktree: '/w/s-1',
    claudeSession: SESSION_ID,
    discipline: 'backend',
    vp: null,
    usage: {},
  } as unknown as SessionRecord;
  const file = mainTranscriptPath(dir.path, record.worktree, record.claudeSession);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '');
  const turns: Turn[] = [];
  const watch = new UsageWatch(record, { CLAUDE_CONFIG_DIR: dir.path }, () => undefined, undefined, {
    record: (t) => turns.push(t),
  });
  cleanups.push(() => watch.close());
  return { dir: dir.path, file, turns, watch };
}

/** A response with a tool call `toolu_<id>_1`, as Claude Code writes it. */
const response = (id: string) => jsonl(responseLines({ id, input: 100, outputs: [1, 16] }));
const batch = (...ids: string[]) => ({
  hook_event_name: 'PostToolBatch',
  tool_calls: ids.map((id) => ({ tool_name: 'Bash', tool_input: {}, tool_use_id: id, tool_response: 'ok' })),
});

describe("a session's transcripts, waited on for a batch's tool calls", () => {
  it('show them once the response that made them is written, and it is recorded by then', async () => {
    const { file, turns, watch } = watched();
    let turnsWhenShown = -1;
    const shown = watch.shown(['toolu_msg_1_1'], 5000).then((ok) => {
      turnsWhenShown = turns.length;
      return ok;
    });
    // claude writes the response's line after the hook asked
    appendFileSync(file, response('msg_1'));
    expect(await shown).toBe(true);
    expect(turnsWhenShown).toBeGreaterThan(0);
    expect(turns.reduce((n, t) => n + t.spend.inputTokens, 0)).toBe(100);
    // read before the hook asks: shown at once
    expect(await watch.shown(['toolu_msg_1_1'], 0)).toBe(true);
  });

  it('give up after the time given when the line never comes', async () => {
    const { watch } = watched();
    const t0 = Date.now();
    expect(await watch.shown(['toolu_never'], 60)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(60);
  });
});

describe('the turn gate', () => {
  it('reads the tool call ids of a PostToolBatch input, and nothing else', () => {
    expect(batchCalls(batch('toolu_a', 'toolu_b'))).toEqual(['toolu_a', 'toolu_b']);
    expect(batchCalls({ tool_calls: [{ tool_use_id: 7 }, null, { tool_use_id: '' }] })).toEqual([]);
    expect(batchCalls(null)).toEqual([]);
    expect(batchCalls({ tool_calls: 'x' })).toEqual([]);
  });

  it('answers the hook of a covered session over the guard socket only once the turn is read', async () => {
    const { dir, file, turns, watch } = watched();
    const covered = new Set(['s-1']);
    const server = await startGuardServer({
      socket: join(dir, 'guard.sock'),
      home: dir,
      policyFor: () => null,
      gate: turnGate({
        holds: (id, token) => token === `token-${id}`,
        covers: (id) => covered.has(id),
        transcripts: (id) => (id === 's-1' ? watch : null),
        waitMs: 5000,
      }),
    });
    cleanups.push(() => server.close());
    const send = (header: string, input: unknown) =>
      new Promise<{ answer: string; turns: number }>((resolve, reject) => {
        const c = connect(join(dir, 'guard.sock'));
        let answer = '';
        c.on('data', (d) => (answer += d));
        c.on('error', reject);
        c.on('close', () => resolve({ answer, turns: turns.length }));
        c.end(`${header}\n${JSON.stringify(input)}`);
      });

    const gated = send('B1 s-1 token-s-1', batch('toolu_msg_2_1'));
    appendFileSync(file, response('msg_2'));
    expect(await gated).toEqual({ answer: 'ok\n', turns: 2 });

    // at once: a session no budget covers, a token that is not the session's, a header it cannot read
    covered.clear();
    expect(await send('B1 s-1 token-s-1', batch('toolu_msg_3_1'))).toEqual({ answer: 'ok\n', turns: 2 });
    covered.add('s-1');
    expect(await send('B1 s-1 wrong', batch('toolu_msg_3_1'))).toEqual({ answer: 'ok\n', turns: 2 });
    expect(await send('B1 s-1', batch('toolu_msg_3_1'))).toEqual({ answer: 'ok\n', turns: 2 });
    expect((await send('B1 s-1 token-s-1', '{')).answer).toBe('ok\n');
    // the guard's own exchange is unchanged
    expect((await send('G1 s-1 token-s-1', { tool_name: 'Bash' })).answer).toMatch(/^deny /);
  });
});
