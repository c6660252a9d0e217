/**
 * The intake's answers to tasks, clicks and the fleet's events, with Slack and the fleet as small recorders:
 * only allowed users give tasks (in the intake's channel, unless others are opened) and answer decisions, a
 * budget decision approved extends by its first preset, a decision answered anywhere has its message updated
 * once, a node's every outage is said, and what has ended is forgotten.
 */
import { describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../src/intake/slack-format.js';
import { SlackIntake, type IntakeFleet, type SlackPort } from '../../src/intake/slack-intake.js';
import { noUsage, type Decision, type OpArgs, type SessionSummary } from '../../src/protocol/messages.js';

function decision(over: Partial<Decision> = {}): Decision {
  return {
    id: 'd-0a0b0c',
    node: 'n1',
    session: 's-1a2b3c',
    tool: 'Bash',
    summary: 'cp a b',
    input: {},
    source: 'hook',
    state: 'open',
    by: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    answeredAt: null,
    reason: null,
    ...over,
  };
}

const started: SessionSummary = {
  id: 's-1a2b3c',
  node: 'n1',
  state: 'starting',
  task: 'fix the api',
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
  updatedAt: '2025-01-01T00:00:00.000Z',
  endedAt: null,
  exitCode: null,
  reason: null,
  activity: '',
  usage: noUsage(),
  openDecisions: 0,
  vp: 'risk',
  outputSeq: 0,
};

function setUp(
  allowedUsers: string[] = ['U0OPS', 'U0ALICE'],
  o: { anyChannel?: boolean; notIn?: string[]; decideFails?: string } = {},
) {
  const posts: { channel: string; thread?: string; msg: SlackMessage }[] = [];
  const updates: { channel: string; ts: string; msg: SlackMessage }[] = [];
  const ephemerals: { channel: string; user: string; text: string }[] = [];
  const decided: { node: string; args: OpArgs['decide'] }[] = [];
  const tasks: string[] = [];
  const slack: SlackPort = {
    post: async (channel, msg, thread) => {
      if (o.notIn?.includes(channel)) throw new Error('An API error occurred: not_in_channel');
      posts.push({ channel, ...(thread ? { thread } : {}), msg });
      return `ts-${posts.length}`;
    },
    update: async (channel, ts, msg) => void updates.push({ channel, ts, msg }),
    ephemeral: async (channel, user, text) => void ephemerals.push({ channel, user, text }),
  };
  const fleet: IntakeFleet = {
    place: async () => ({ node: 'n1', discipline: 'backend', vp: 'risk' }),
    start: async (task) => {
      tasks.push(task);
      return started;
    },
    decide: async (node, args) => {
      if (o.decideFails) throw new Error(o.decideFails);
      decided.push({ node, args });
      return decision({ id: args.decision, state: args.approve ? 'approved' : 'denied', by: args.by ?? null });
    },
    hasNode: (name) => name === 'n1',
  };
  const intake = new SlackIntake(slack, fleet, {
    channel: 'C0TASKS',
    allowedUsers,
    ...(o.anyChannel ? { anyChannel: true } : {}),
    all: false,
    botUserId: 'UBOT',
    coalesceMs: 10,
    log: () => undefined,
  });
  return { intake, posts, updates, ephemerals, decided, tasks };
}

const flush = () => new Promise((r) => setTimeout(r, 20));

describe('the Slack intake', () => {
  it('a click by a user not in the list is refused to them alone, and nothing is answered', async () => {
    const t = setUp();
    await t.intake.click({
      user: 'U0EVE',
      action: 'agency_approve',
      value: 'n1/d-0a0b0c',
      channel: 'C0TASKS',
      ts: '1.2',
    });
    expect(t.decided).toEqual([]);
    expect(t.ephemerals).toEqual([
      { channel: 'C0TASKS', user: 'U0EVE', text: expect.stringContaining('slack.allowedUsers') },
    ]);
    expect(t.updates).toEqual([]);
  });

  it('with an empty list, nobody answers', async () => {
    const t = setUp([]);
    await t.intake.click({ user: 'U0OPS', action: 'agency_deny', value: 'n1/d-0a0b0c', channel: 'C0TASKS', ts: '1.2' });
    expect(t.decided).toEqual([]);
    expect(t.ephemerals).toHaveLength(1);
  });

  it('a click by an allowed user answers as slack:<id> and updates the message clicked', async () => {
    const t = setUp();
    await t.intake.click({ user: 'U0OPS', action: 'agency_deny', value: 'n1/d-0a0b0c', channel: 'C0TASKS', ts: '1.2' });
    expect(t.decided).toEqual([{ node: 'n1', args: { decision: 'd-0a0b0c', approve: false, by: 'slack:U0OPS' } }]);
    expect(t.updates).toMatchObject([
      { channel: 'C0TASKS', ts: '1.2', msg: { text: expect.stringContaining('*Denied* by <@U0OPS>') } },
    ]);
    // a value that names no node of the fleet is not sent anywhere
    await t.intake.click({
      user: 'U0OPS',
      action: 'agency_approve',
      value: 'n9/d-0a0b0c',
      channel: 'C0TASKS',
      ts: '1.3',
    });
    expect(t.decided).toHaveLength(1);
    expect(t.ephemerals).toEqual([
      { channel: 'C0TASKS', user: 'U0OPS', text: 'That button names no decision of this fleet.' },
    ]);
  });

  it('a budget decision approved from Slack extends by its first preset', async () => {
    const t = setUp();
    await t.intake.message({ channel: 'C0TASKS', ts: '1.1', user: 'U0ALICE' }, 'fix the api');
    const budget = decision({
      id: 'd-b0b0b0',
      source: 'budget',
      summary: 'session s-1a2b3c spent $0.02 of $0.02',
      input: {
        scope: 'session',
        subject: 's-1a2b3c',
        limit: { usd: 0.02 },
        spent: 0.02,
        day: null,
        presets: [{ usd: 0.01 }, { usd: 0.02 }],
      },
    });
    t.intake.event({ kind: 'decision', decision: budget });
    await flush();
    const posted = t.posts.find((p) => p.msg.blocks);
    expect(posted).toMatchObject({ channel: 'C0TASKS', thread: '1.1' });
    await t.intake.click({
      user: 'U0OPS',
      action: 'agency_approve',
      value: 'n1/d-b0b0b0',
      channel: 'C0TASKS',
      ts: 'x',
    });
    expect(t.decided).toEqual([
      { node: 'n1', args: { decision: 'd-b0b0b0', approve: true, by: 'slack:U0OPS', amount: { usd: 0.01 } } },
    ]);
  });

  it('a decision of a followed session answered elsewhere has its message updated, once', async () => {
    const t = setUp();
    await t.intake.message({ channel: 'C0TASKS', ts: '1.1', user: 'U0ALICE' }, '<@UBOT> fix the api');
    // the same message again (its mention event after its message event) is one task
    await t.intake.message({ channel: 'C0TASKS', ts: '1.1', user: 'U0ALICE' }, '<@UBOT> fix the api');
    expect(t.tasks).toEqual(['fix the api']);
    t.intake.event({ kind: 'decision', decision: decision() });
    // a decision of a session the intake did not start is not posted (without --all)
    t.intake.event({ kind: 'decision', decision: decision({ id: 'd-ffffff', session: 's-999999' }) });
    await flush();
    const asked = t.posts.findIndex((p) => p.msg.blocks);
    expect(t.posts.filter((p) => p.msg.blocks)).toHaveLength(1);
    const ts = `ts-${asked + 1}`;
    const answered = decision({ state: 'approved', by: 'operator', answeredAt: '2025-01-01T00:01:00.000Z' });
    t.intake.event({ kind: 'decision', decision: answered });
    t.intake.event({ kind: 'decision', decision: answered });
    await flush();
    expect(t.updates).toMatchObject([
      { channel: 'C0TASKS', ts, msg: { text: expect.stringContaining('*Approved* by the operator') } },
    ]);
  });
  it("a node that goes down is said once in its sessions' threads, and again after it came back up", async () => {
    const t = setUp();
    await t.intake.message({ channel: 'C0TASKS', ts: '1.1', user: 'U0ALICE' }, 'fix the api');
    t.intake.event({
      kind: 'session',
      session: { ...started, state: 'working', updatedAt: '2025-01-01T00:00:01.000Z' },
    });
    const link = { name: 'n1', transport: 'ssh' as const, info: null, since: '' };
    const down = { ...link, state: 'down' as const, error: 'connection <!channel> lost' };
    t.intake.event({ kind: 'node', node: down });
    t.intake.event({ kind: 'node', node: { ...down, error: 'still lost' } });
    await flush();
    const said = () => t.posts.filter((p) => /Node \*n1\* is down/.test(p.msg.text));
    // the node's error is escaped: it pings nobody
    expect(said()).toMatchObject([
      { thread: '1.1', msg: { text: expect.stringContaining('(connection &lt;!channel&gt; lost)') } },
    ]);
    // it comes back (no session changed meanwhile), and is lost again: said again
    t.intake.event({ kind: 'node', node: { ...link, state: 'connecting', error: null } });
    t.intake.event({ kind: 'node', node: { ...link, state: 'up', error: null } });
    t.intake.event({ kind: 'node', node: down });
    await flush();
    expect(said()).toHaveLength(2);
  });

  it('a task from a user not in the list starts nothing, and they alone are told; an empty list lets nobody', async () => {
    const t = setUp();
    await t.intake.message({ channel: 'C0TASKS', ts: '2.1', user: 'U0EVE' }, 'fix the api');
    // its mention event too: still one refusal
    await t.intake.message({ channel: 'C0TASKS', ts: '2.1', user: 'U0EVE' }, '<@UBOT> fix the api');
    const cmd: string[] = [];
    await t.intake.command(
      { channel: 'C0TASKS', user: 'U0EVE', respond: async (x) => void cmd.push(x) },
      'fix the api',
    );
    expect(t.tasks).toEqual([]);
    expect(t.posts).toEqual([]);
    expect(t.ephemerals).toEqual([
      {
        channel: 'C0TASKS',
        user: 'U0EVE',
        text: expect.stringMatching(/Nothing was started.*U0EVE.*slack\.allowedUsers/),
      },
    ]);
    expect(cmd).toEqual([expect.stringMatching(/Nothing was started.*slack\.allowedUsers/)]);

    const none = setUp([]);
    await none.intake.message({ channel: 'C0TASKS', ts: '2.2', user: 'U0OPS' }, 'fix the api');
    expect(none.tasks).toEqual([]);
    expect(none.ephemerals).toHaveLength(1);
  });

  it("mentions and the slash command count only in the intake's channel, unless other channels are opened", async () => {
    const t = setUp();
    await t.intake.message({ channel: 'C0OTHER', ts: '3.1', user: 'U0ALICE' }, '<@UBOT> fix the api');
    const cmd: string[] = [];
    const respond = async (x: string) => void cmd.push(x);
    await t.intake.command({ channel: 'D0DIRECT', user: 'U0ALICE', respond }, 'fix the api');
    expect(t.tasks).toEqual([]);
    expect(t.posts).toEqual([]);
    expect(t.ephemerals).toEqual([
      { channel: 'C0OTHER', user: 'U0ALICE', text: expect.stringContaining('<#C0TASKS> only') },
    ]);
    expect(cmd).toEqual([expect.stringContaining('<#C0TASKS> only')]);

    const open = setUp(undefined, { anyChannel: true });
    await open.intake.message({ channel: 'C0OTHER', ts: '3.2', user: 'U0ALICE' }, '<@UBOT> fix the api');
    expect(open.tasks).toEqual(['fix the api']);
    expect(open.posts[0]).toMatchObject({ channel: 'C0OTHER', thread: '3.2' });
  });

  it('a slash command where the app cannot post is answered to its user alone, and nothing is posted or started', async () => {
    const t = setUp(undefined, { anyChannel: true, notIn: ['D0DIRECT'] });
    const cmd: string[] = [];
    await t.intake.command(
      { channel: 'D0DIRECT', user: 'U0ALICE', respond: async (x) => void cmd.push(x) },
      'fix the secret thing',
    );
    expect(t.posts).toEqual([]);
    expect(t.tasks).toEqual([]);
    expect(cmd).toEqual([expect.stringMatching(/cannot post in this channel \(.*not_in_channel\).*<#C0TASKS>/)]);
    // where it can post, the command's task is posted there and followed in its thread
    await t.intake.command({ channel: 'C0TASKS', user: 'U0ALICE' }, 'fix the api');
    expect(t.tasks).toEqual(['fix the api']);
    expect(t.posts[0]).toMatchObject({ channel: 'C0TASKS', msg: { text: '<@U0ALICE> asked: fix the api' } });
  });

  it("a node's error on answering is escaped before Slack shows it", async () => {
    const t = setUp(undefined, { decideFails: 'no <!here> such <https://x.example|decision>' });
    await t.intake.click({
      user: 'U0OPS',
      action: 'agency_approve',
      value: 'n1/d-0a0b0c',
      channel: 'C0TASKS',
      ts: '1.2',
    });
    expect(t.ephemerals).toHaveLength(1);
    expect(t.ephemerals[0]!.text).not.toMatch(/[<>]/);
    expect(t.ephemerals[0]!.text).toContain('no &lt;!here&gt; such');
  });

  it('the thread and decisions of a session that ended are forgotten once its end is told, and of one removed', async () => {
    const t = setUp();
    await t.intake.message({ channel: 'C0TASKS', ts: '4.1', user: 'U0ALICE' }, 'fix the api');
    t.intake.event({ kind: 'decision', decision: decision() });
    await flush();
    t.intake.event({ kind: 'decision', decision: decision({ state: 'approved', by: 'operator' }) });
    expect(t.intake.kept).toEqual({ threads: 1, decisions: 1 });
    t.intake.event({
      kind: 'session',
      session: {
        ...started,
        state: 'exited',
        exitCode: 0,
        endedAt: '2025-01-01T00:01:00.000Z',
        updatedAt: '2025-01-01T00:01:00.000Z',
      },
    });
    await flush();
    await t.intake.drain();
    expect(t.posts.filter((p) => /done \(ended\)/.test(p.msg.text))).toHaveLength(1);
    expect(t.intake.kept).toEqual({ threads: 0, decisions: 0 });

    await t.intake.message({ channel: 'C0TASKS', ts: '4.2', user: 'U0ALICE' }, 'fix the api again');
    expect(t.intake.kept.threads).toBe(1);
    t.intake.event({ kind: 'removed', node: 'n1', session: started.id });
    await t.intake.drain();
    expect(t.intake.kept.threads).toBe(0);
  });
});
