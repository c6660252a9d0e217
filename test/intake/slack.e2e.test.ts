/**
 * `agency intake slack` against a stand-in of Slack on 127.0.0.1 (its Web API and its Socket Mode
 * WebSocket), with a real node running the real Claude Code CLI against the scripted Messages API: a message
 * becomes a session followed in its thread, a decision's button approves it for an allowed user and is
 * refused for anyone else, only listed users give tasks (in the intake's channel), the node the intake starts
 * has no Slack token in its environment, and what Slack sends that is not a task gets a clear reply or none.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startSlackStandIn, type SlackCall, type SlackStandIn } from '../fixtures/slack-standin.js';
import { AGENCY_BIN } from '../helpers/agency.js';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode, type TestNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';

const ORG = fileURLToPath(new URL('../fixtures/orgs/fund-ops', import.meta.url));
const CHANNEL = 'C0TASKS';
const OPERATOR = 'U0OPERATOR';
/** may give tasks (and answer decisions) */
const ALICE = 'U0ALICE';
const defer = deferAfterEach();

interface Intake {
  proc: ChildProcess;
  out(): string;
  err(): string;
}

async function setUp(
  scenario: Parameters<typeof testNode>[0],
  args: string[] = [],
): Promise<{ n: TestNode; slack: SlackStandIn; intake: Intake }> {
  const slack = await startSlackStandIn();
  defer(() => slack.close());
  const n = await testNode(scenario);
  defer(() => n.cleanup());
  const config = join(n.home.home, 'agency-config.json');
  mkdirSync(dirname(config), { recursive: true });
  writeFileSync(config, JSON.stringify({ org: ORG, slack: { channel: CHANNEL, allowedUsers: [OPERATOR, ALICE] } }));
  n.env.AGENCY_CONFIG = config;
  let out = '';
  let err = '';
  const proc = spawn(process.execPath, [AGENCY_BIN, 'intake', 'slack', ...args], {
    cwd: n.repo,
    env: {
      ...n.env,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_BOT_TOKEN: slack.botToken,
      AGENCY_SLACK_API_URL: slack.apiUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  defer(async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await until('the intake to stop', () => proc.exitCode !== null || proc.signalCode !== null, 15_000);
    }
  });
  await slack.connected(60_000).catch((e: Error) => {
    throw new Error(`${e.message}\nintake stderr:\n${err}`);
  });
  await until(
    'the intake to say it is connected',
    () => err.includes('connected to Slack as'),
    30_000,
    () => err,
  );
  return { n, slack, intake: { proc, out: () => out, err: () => err } };
}

const inThread = (ts: string) => (c: SlackCall) => c.args.thread_ts === ts;
const textOf = (c: SlackCall) => String(c.args.text);

describe('agency intake slack', () => {
  it(
    'a message becomes a session, its decision is refused for an unlisted user and approved for a listed one, and its result is posted',
    { timeout: 180_000 },
    async () => {
      const { n, slack, intake } = await setUp({
        steps: [
          { tool: 'Bash', input: { command: 'cp README.md copy.md', description: 'copy' } },
          { text: 'copied the readme to copy.md' },
        ],
      });

      // a message in the channel (the task fits the backend discipline, the Risk VP's)
      const task = 'fix the api endpoint &amp; copy README.md to copy.md';
      const { ts, envelope } = slack.message({ channel: CHANNEL, user: 'U0ALICE', text: task });
      expect(await envelope.acked()).toEqual({});
      const started = await slack.waitFor(
        'chat.postMessage',
        (c) => inThread(ts)(c) && /Started session/.test(textOf(c)),
        60_000,
      );
      expect(started.args.channel).toBe(CHANNEL);
      expect(started.token).toBe(slack.botToken);
      const text = textOf(started);
      const session = /`local\/(s-[0-9a-f]+)`/.exec(text)?.[1];
      expect(session, text).toBeDefined();
      expect(text).toContain('discipline *backend*');
      expect(text).toContain('VP *risk*');
      const status = JSON.parse((await n.agency(['status', '--json'])).stdout);
      expect(status.sessions).toHaveLength(1);
      expect(status.sessions[0]).toMatchObject({ id: session, discipline: 'backend', vp: 'risk' });
      // the task as the person wrote it: Slack's escapes undone
      expect(status.sessions[0].task).toBe('fix the api endpoint & copy README.md to copy.md');
      // the intake started the local node: the node and its sessions never had Slack's tokens
      const daemon = n.daemonPid();
      expect(daemon).not.toBeNull();
      const environ = readFileSync(`/proc/${daemon}/environ`, 'utf8');
      expect(environ).toContain('AGENCY_HOME=');
      for (const t of [slack.appToken, slack.botToken]) expect(environ).not.toContain(t);
      expect(environ).not.toMatch(/(^|\0)SLACK_(APP|BOT)_TOKEN=/);

      // someone not in slack.allowedUsers gives a task: told so, alone, and nothing starts
      const eveTask = slack.message({ channel: CHANNEL, user: 'U0EVE', text: 'delete the api endpoint' });
      await eveTask.envelope.acked();
      const eveTold = await slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0EVE');
      expect(textOf(eveTold)).toMatch(/Nothing was started.*slack\.allowedUsers/);
      expect(slack.calls.filter((c) => c.method === 'chat.postMessage' && inThread(eveTask.ts)(c))).toEqual([]);

      // the escalated call is posted in the thread with its buttons
      const asked = await slack.waitFor(
        'chat.postMessage',
        (c) => inThread(ts)(c) && Array.isArray(c.args.blocks),
        90_000,
      );
      const blocks = asked.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
      const buttons = blocks.find((b) => b.type === 'actions')!.elements!;
      expect(buttons.map((b) => b.action_id)).toEqual(['agency_approve', 'agency_deny']);
      const value = buttons[0]!.value;
      const decision = value.split('/')[1]!;
      expect(textOf(asked)).toContain('cp README.md copy.md');
      const messageTs = String(asked.reply.ts);

      // someone not in slack.allowedUsers clicks Approve: told so, alone, and nothing is answered
      const eve = slack.click({ user: 'U0EVE', actionId: 'agency_approve', value, channel: CHANNEL, messageTs });
      await eve.acked();
      const refusal = await slack.waitFor(
        'chat.postEphemeral',
        (c) => c.args.user === 'U0EVE' && /answer/.test(textOf(c)),
      );
      expect(textOf(refusal)).toContain('U0EVE');
      expect(textOf(refusal)).toContain('slack.allowedUsers');
      const open = JSON.parse((await n.agency(['decisions', '--json'])).stdout).decisions;
      expect(open).toMatchObject([{ id: decision, state: 'open' }]);
      const { worktree } = JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0];
      expect(existsSync(join(worktree, 'copy.md'))).toBe(false);
      expect(slack.calls.filter((c) => c.method === 'chat.update')).toEqual([]);

      // the operator clicks Approve: answered as slack:<id>, the message says who answered, the call runs
      const ok = slack.click({ user: OPERATOR, actionId: 'agency_approve', value, channel: CHANNEL, messageTs });
      await ok.acked();
      const updated = await slack.waitFor('chat.update', (c) => /Approved\* by <@U0OPERATOR>/.test(textOf(c)));
      expect(updated.args).toMatchObject({ channel: CHANNEL, ts: messageTs });
      expect(JSON.stringify(updated.args.blocks)).not.toContain('agency_approve');
      const all = JSON.parse((await n.agency(['decisions', '--all', '--json'])).stdout).decisions;
      expect(all).toMatchObject([{ id: decision, state: 'approved', by: `slack:${OPERATOR}` }]);

      // nothing more was started (the unlisted user's task was not)
      expect(JSON.parse((await n.agency(['status', '--json'])).stdout).sessions).toHaveLength(1);

      // the session finishes; the thread says so with its last activity
      const done = await slack.waitFor(
        'chat.postMessage',
        (c) => inThread(ts)(c) && /\*done\*/.test(textOf(c)),
        90_000,
      );
      expect(textOf(done)).toContain(session);
      expect(existsSync(join(worktree, 'copy.md'))).toBe(true);

      // the tokens were never printed
      for (const t of [slack.appToken, slack.botToken]) {
        expect(intake.out()).not.toContain(t);
        expect(intake.err()).not.toContain(t);
      }
      expect(intake.out()).toBe('');
    },
  );
  it(
    'a slash command starts a session; bots, other channels and thread replies are not tasks; an empty or too long task, a malformed envelope and a reconnect are handled',
    { timeout: 180_000 },
    async () => {
      // with --debug, Slack's SDK logs its requests and what the WebSocket carries: the tokens stay out even so
      const { n, slack, intake } = await setUp({ steps: [{ text: 'said hello' }] }, ['--debug']);
      const posts = () => slack.calls.filter((c) => c.method === 'chat.postMessage');

      // none of these is a task: a bot's message, a message elsewhere, a reply in a thread
      const bot = slack.message({ channel: CHANNEL, user: 'U0BOT', botId: 'B0OTHER', text: 'fix the api endpoint' });
      const elsewhere = slack.message({ channel: 'C0ELSEWHERE', user: 'U0ALICE', text: 'fix the api endpoint' });
      const reply = slack.message({
        channel: CHANNEL,
        user: 'U0ALICE',
        text: 'fix the api endpoint',
        threadTs: '1.000001',
      });
      for (const m of [bot, elsewhere, reply]) await m.envelope.acked();

      // a mention elsewhere: not a task there (the config opens no other channel); its user alone is told
      const away = slack.mention({ channel: 'C0ELSEWHERE', user: ALICE, text: `<@${slack.botUserId}> fix the api` });
      await away.envelope.acked();
      const awayTold = await slack.waitFor('chat.postEphemeral', (c) => c.args.channel === 'C0ELSEWHERE');
      expect(textOf(awayTold)).toContain(`<#${CHANNEL}> only`);

      // a mention with nothing after it: told the task is empty, in its thread
      const empty = slack.mention({ channel: CHANNEL, user: 'U0ALICE', text: `<@${slack.botUserId}>  ` });
      await empty.envelope.acked();
      const emptyReply = await slack.waitFor('chat.postMessage', inThread(empty.ts));
      expect(textOf(emptyReply)).toMatch(/Not started: the task is empty: write what to do/);
      // a task over the limit claude can be given
      const long = slack.message({
        channel: CHANNEL,
        user: 'U0ALICE',
        text: `fix the api endpoint ${'x'.repeat(110 * 1024)}`,
      });
      const longReply = await slack.waitFor('chat.postMessage', inThread(long.ts));
      expect(textOf(longReply)).toMatch(/Not started: the task is \d+ KB, over the limit/);
      expect(posts().map((c) => c.args.thread_ts)).toEqual([empty.ts, long.ts]);

      // what Slack would never send does not end the intake
      slack.raw('not json');
      slack.raw(JSON.stringify({ type: 'events_api', envelope_id: 'env-broken' }));
      slack.raw(
        JSON.stringify({
          type: 'interactive',
          envelope_id: 'env-odd',
          payload: { type: 'block_actions', actions: 'no' },
        }),
      );
      // Slack recycles the connection: the intake opens a new one
      slack.refresh();
      await until(
        'the intake to reconnect',
        () => slack.connections() >= 2,
        60_000,
        () => intake.err(),
      );
      await slack.connected();
      expect(slack.calls.filter((c) => c.method === 'apps.connections.open').length).toBeGreaterThanOrEqual(2);
      expect(intake.proc.exitCode).toBeNull();
      // with --debug, with its stack
      expect(intake.err()).toMatch(
        /ignored an error: TypeError: Cannot read properties of undefined \(reading 'event'\) \| at /,
      );

      // a slash command typed in a channel the app is not in (a DM): answered to its user alone, never posted
      slack.notInChannel.add('D0DIRECT');
      const dm = slack.slash({ text: 'fix the api endpoint: the secret plan', user: ALICE, channel: 'D0DIRECT' });
      await dm.acked();
      const dmTold = await slack.waitFor('response', (c) => /Nothing was started/.test(textOf(c)));
      expect(dmTold.args.response_type).toBe('ephemeral');
      expect(textOf(dmTold)).toContain(`<#${CHANNEL}> only`);
      // from a user not in the list: refused the same way
      const eve = slack.slash({ text: 'fix the api endpoint', user: 'U0EVE', channel: CHANNEL });
      await eve.acked();
      const eveTold = await slack.waitFor('response', (c) => /allowedUsers/.test(textOf(c)));
      expect(eveTold.args.response_type).toBe('ephemeral');
      expect(posts().filter((c) => /secret plan|asked:/.test(textOf(c)))).toEqual([]);

      // in the intake's channel: posted there, and followed in its thread
      const cmd = slack.slash({ text: 'fix the api endpoint: say hello', user: ALICE, channel: CHANNEL });
      await cmd.acked();
      const head = await slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === CHANNEL && /asked:/.test(textOf(c)),
        30_000,
      );
      expect(textOf(head)).toBe('<@U0ALICE> asked: fix the api endpoint: say hello');
      const root = String(head.reply.ts);
      const started = await slack.waitFor(
        'chat.postMessage',
        (c) => inThread(root)(c) && /Started session/.test(textOf(c)),
        60_000,
      );
      const session = /`local\/(s-[0-9a-f]+)`/.exec(textOf(started))![1]!;
      const done = await slack.waitFor(
        'chat.postMessage',
        (c) => inThread(root)(c) && /\*done\*/.test(textOf(c)),
        90_000,
      );
      expect(textOf(done)).toContain('said hello');
      const status = JSON.parse((await n.agency(['status', '--json'])).stdout);
      expect(status.sessions.map((s: { id: string }) => s.id)).toEqual([session]);
      expect(intake.err()).toContain('http request headers');
      // the Socket Mode URL's ticket is not logged, even with --debug
      expect(intake.err()).not.toMatch(/ticket=(?!\[redacted\])/);
      for (const t of [slack.appToken, slack.botToken]) {
        expect(intake.err()).not.toContain(t);
        expect(intake.out()).not.toContain(t);
      }
    },
  );
});
