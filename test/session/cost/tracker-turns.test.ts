/** What each transcript line adds, as the tracker tells it: the feed of a session's turns in the node's ledger. */
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mainTranscriptPath, subagentDir } from '../../../src/session/cost/slug.js';
import { UsageTracker, type ResponseSeen } from '../../../src/session/cost/tracker.js';
import { tempDir } from '../../helpers/tmp.js';
import { jsonl, responseLines, SESSION_ID, userLine } from './lines.js';

const CWD = '/work/turns_repo';
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

const at = (line: string, iso: string) => line.replace(/"timestamp":"[^"]*"/, `"timestamp":"${iso}"`);

function setup() {
  const tmp = tempDir();
  cleanups.push(tmp.remove);
  const configDir = join(tmp.path, '.claude');
  const main = mainTranscriptPath(configDir, CWD, SESSION_ID);
  mkdirSync(join(main, '..'), { recursive: true });
  const seen: ResponseSeen[] = [];
  const tracker = new UsageTracker({ configDir, cwd: CWD, sessionId: SESSION_ID, onResponse: (r) => seen.push(r) });
  return { configDir, main, tracker, seen };
}

describe('UsageTracker, response by response', () => {
  it('tells what each line added, with its model and time; a repeated line adds nothing and is not told', async () => {
    const { main, tracker, seen } = setup();
    const [a1, a2, a3] = responseLines({
      id: 'msg_1',
      input: 100,
      cacheRead: 1_000,
      cache5m: 50,
      outputs: [1, 20, 60],
    });
    writeFileSync(
      main,
      jsonl([userLine('go'), at(a1!, '2030-01-01T10:00:00.000Z'), at(a2!, '2030-01-01T10:00:01.000Z')]),
    );
    await tracker.update();
    expect(seen.map((r) => [r.at, r.model, r.tokens.inputTokens, r.tokens.outputTokens, r.again])).toEqual([
      ['2030-01-01T10:00:00.000Z', 'claude-opus-4-8', 100, 1, true],
      ['2030-01-01T10:00:01.000Z', 'claude-opus-4-8', 0, 19, true],
    ]);
    expect(seen[0]!.tokens).toMatchObject({ cacheReadTokens: 1_000, cacheCreationTokens: 50 });
    seen.length = 0;

    // the same line again (Claude Code writes a block per line; a repeat adds nothing), then the last block
    const haiku = responseLines({ id: 'msg_2', model: 'claude-haiku-4-5-20251001', input: 7, outputs: [3] });
    appendFileSync(main, jsonl([at(a2!, '2030-01-01T10:00:01.000Z'), at(a3!, '2030-01-01T10:00:02.000Z'), haiku[0]!]));
    const usage = await tracker.update();
    expect(seen.map((r) => [r.model, r.tokens.inputTokens, r.tokens.outputTokens, r.again])).toEqual([
      ['claude-opus-4-8', 0, 40, false],
      ['claude-haiku-4-5-20251001', 7, 3, false],
    ]);
    // what was told adds up to the totals
    expect(usage.outputTokens).toBe(60 + 3);
    expect(usage.inputTokens).toBe(107);
  });

  it("tells a subagent's responses too, and marks lines read again after a file was replaced", async () => {
    const { configDir, main, tracker, seen } = setup();
    writeFileSync(main, jsonl(responseLines({ id: 'msg_1', input: 10, outputs: [5] })));
    await tracker.update();
    const sub = subagentDir(configDir, CWD, SESSION_ID);
    mkdirSync(sub, { recursive: true });
    writeFileSync(
      join(sub, 'agent-a1.jsonl'),
      jsonl(
        responseLines({ id: 'msg_s', model: 'claude-haiku-4-5-20251001', input: 3, outputs: [2], sidechain: true }),
      ),
    );
    await tracker.update();
    expect(seen.map((r) => [r.model, r.again])).toEqual([
      ['claude-opus-4-8', true],
      ['claude-haiku-4-5-20251001', false],
    ]);
    seen.length = 0;
    // replaced by a copy (a new inode): everything is read again, and told as read again
    writeFileSync(main + '.new', jsonl(responseLines({ id: 'msg_1', input: 10, outputs: [5] })));
    renameSync(main + '.new', main);
    await tracker.update();
    expect(tracker.restarts).toBe(1);
    expect(seen.length).toBe(2);
    expect(seen.every((r) => r.again)).toBe(true);
  });
});
