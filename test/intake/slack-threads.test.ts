/** A task's thread in Slack: replies in order, rapid state changes gathered into one, repeats left out. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SlackMessage } from '../../src/intake/slack-format.js';
import { Threads } from '../../src/intake/slack-threads.js';
import { noUsage, type SessionSummary } from '../../src/protocol/messages.js';

let clock = 0;
function summary(state: SessionSummary['state'], over: Partial<SessionSummary> = {}): SessionSummary {
  clock += 1;
  return {
    id: 's-1a2b3c',
    node: 'n1',
    state,
    task: 't',
    discipline: 'backend',
    repo: '/r',
    origin: null,
    base: null,
    landing: null,
    worktree: '/w',
    branch: 'b',
    model: null,
    claudeSession: 'c',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, clock)).toISOString(),
    endedAt: null,
    exitCode: null,
    reason: null,
    activity: 'did things',
    usage: noUsage(),
    openDecisions: 0,
    outputSeq: 0,
    ...over,
  };
}

/** Slack as far as threads use it: what was posted where, in order. */
function poster(fail = new Set<number>()) {
  const posted: { channel: string; thread?: string; text: string }[] = [];
  let n = 0;
  return {
    posted,
    post: async (channel: string, msg: SlackMessage, thread?: string) => {
      n += 1;
      if (fail.has(n)) throw new Error('not_in_channel');
      posted.push({ channel, ...(thread ? { thread } : {}), text: msg.text });
      return `ts-${n}`;
    },
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('threads', () => {
  it('gathers changes that come close together into one reply, after the first', async () => {
    const slack = poster();
    const t = new Threads(slack, 1000, () => undefined);
    t.open('C1', '100.1', summary('starting'), { text: 'started' });
    t.update(summary('working'));
    t.update(summary('needs-input'));
    t.update(summary('working'));
    t.update(summary('idle'));
    expect(slack.posted.map((p) => p.text)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    await t.drain();
    expect(slack.posted).toEqual([
      { channel: 'C1', thread: '100.1', text: 'started' },
      {
        channel: 'C1',
        thread: '100.1',
        text: ':white_check_mark: `s-1a2b3c` working → needs input → working → *done*: did things',
      },
    ]);
  });

  it('says nothing when the state comes back to what it last said, and ignores an older report', async () => {
    const slack = poster();
    const t = new Threads(slack, 500, () => undefined);
    const old = summary('working');
    t.open('C1', '100.1', summary('working'), { text: 'started' });
    t.update(old);
    await vi.advanceTimersByTimeAsync(500);
    t.update(summary('working', { activity: 'reading' }));
    await vi.advanceTimersByTimeAsync(500);
    await t.drain();
    expect(slack.posted.map((p) => p.text)).toEqual(['started']);
    t.update(summary('failed', { reason: 'claude exited with 1' }));
    await vi.advanceTimersByTimeAsync(500);
    await t.drain();
    expect(slack.posted.map((p) => p.text)).toEqual(['started', ':x: `s-1a2b3c` *failed*: claude exited with 1']);
  });

  it('a reply that cannot be posted is logged, and the replies after it still go', async () => {
    const slack = poster(new Set([1]));
    const lines: string[] = [];
    const t = new Threads(slack, 100, (l) => lines.push(l));
    const th = t.open('C1', '100.1', summary('starting'), { text: 'started' });
    await t.reply(th, { text: 'second' });
    expect(slack.posted.map((p) => p.text)).toEqual(['second']);
    expect(lines).toEqual(['could not post in the thread of n1/s-1a2b3c: not_in_channel']);
  });
});
