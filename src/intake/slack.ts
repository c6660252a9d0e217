/**
 * `agency intake slack`: Slack's bolt in Socket Mode (an outbound WebSocket, so no public endpoint), wired to
 * the intake's work (slack-intake.ts) and to the fleet through the cockpit. The tokens are used here and
 * nowhere else, and never written anywhere: the SDK logs through a logger that takes them out.
 */
import bolt, { type Logger } from '@slack/bolt';
import type { Cockpit } from '../cockpit/client.js';
import type { RunPlace } from '../cockpit/run-place.js';
import type { SessionSummary } from '../protocol/messages.js';
import { APPROVE, DENY, type SlackMessage } from './slack-format.js';
import { appIdOf, notOurs } from './slack-envelope.js';
import { SlackIntake, type IntakeFleet, type SlackPort } from './slack-intake.js';
import { redact, redactingLogger } from './slack-logger.js';

const { App, webApi } = bolt;

export interface SlackIntakeOptions {
  /** the app-level token (xapp-…): opens the Socket Mode connection */
  appToken: string;
  /** the bot token (xoxb-…): posts and updates messages */
  botToken: string;
  /** another Web API than Slack's (a stand-in, for tests) */
  apiUrl?: string;
  channel: string | null;
  allowedUsers: readonly string[];
  /** take mentions and the slash command in other channels than `channel` too */
  anyChannel?: boolean;
  all: boolean;
  cockpit: Cockpit;
  place(task: string): Promise<RunPlace>;
  start(task: string, place: RunPlace): Promise<SessionSummary>;
  coalesceMs?: number;
  log(line: string): void;
  debug?: boolean;
}

export interface RunningIntake {
  stop(): Promise<void>;
}

/** Thrown for what the operator must fix (a token Slack refused): shown as one message. */
export class SlackSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackSetupError';
  }
}

/** Why a Web API call failed, in a few words: Slack's error code where there is one. */
function slackWhy(e: unknown): string {
  const data = (e as { data?: { error?: unknown } }).data;
  if (data && typeof data.error === 'string') return data.error;
  return e instanceof Error ? e.message : String(e);
}

/** Who the bot is, as Slack's auth.test says. */
export interface SlackIdentity {
  userId: string | null;
  botId: string | null;
  team: string | null;
  /** the workspace's id: envelopes of another are dropped */
  teamId: string | null;
}

/** Retries of a Web API call: a few, within about half a minute (the SDK's own allow half an hour). */
const RETRIES = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 8000, maxRetryTime: 30_000 };
/** How long stopping waits for the replies still to send. */
const DRAIN_MS = 10_000;

/** The SDK's options for a Web API client: the stand-in's URL when given, and the redacting logger. */
function sdkOptions(
  o: { appToken: string; botToken: string; apiUrl?: string; debug?: boolean },
  log: (line: string) => void,
) {
  const secrets = [o.appToken, o.botToken];
  // the SDK's LogLevel enum is these strings
  const logger = redactingLogger(
    secrets,
    (line) => log(redact(line, secrets)),
    o.debug ? 'debug' : 'info',
  ) as unknown as Logger;
  return { ...(o.apiUrl ? { slackApiUrl: o.apiUrl } : {}), logger };
}

/**
 * Asks Slack who the bot is (auth.test), with few retries: a token Slack refuses is said at once, not after
 * the half hour of retries the SDK allows its calls.
 */
export async function slackIdentity(
  o: { appToken: string; botToken: string; apiUrl?: string; debug?: boolean },
  log: (line: string) => void,
): Promise<SlackIdentity> {
  const probe = new webApi.WebClient(o.botToken, {
    ...sdkOptions(o, log),
    retryConfig: { retries: 2, minTimeout: 200 },
  });
  try {
    const auth = await probe.auth.test();
    return {
      userId: auth.user_id ?? null,
      botId: auth.bot_id ?? null,
      team: auth.team ?? null,
      teamId: auth.team_id ?? null,
    };
  } catch (e) {
    throw new SlackSetupError(
      `Slack refused SLACK_BOT_TOKEN (auth.test: ${redact(slackWhy(e), [o.appToken, o.botToken])}); check the app's Bot User OAuth Token (xoxb-…) under OAuth & Permissions`,
    );
  }
}

export async function startSlackIntake(o: SlackIntakeOptions, auth: SlackIdentity): Promise<RunningIntake> {
  const secrets = [o.appToken, o.botToken];
  const log = (line: string) => o.log(redact(line, secrets));
  const clientOptions = { ...sdkOptions(o, log), retryConfig: RETRIES };
  const logger = clientOptions.logger;

  const app = new App({
    token: o.botToken,
    appToken: o.appToken,
    socketMode: true,
    logger,
    clientOptions,
    ...(auth.botId ? { botId: auth.botId } : {}),
    ...(auth.userId ? { botUserId: auth.userId } : {}),
  });

  const slack: SlackPort = {
    post: async (channel: string, msg: SlackMessage, thread?: string) => {
      const r = await app.client.chat.postMessage({
        channel,
        text: msg.text,
        ...(msg.blocks ? { blocks: msg.blocks } : {}),
        ...(thread ? { thread_ts: thread } : {}),
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!r.ts) throw new Error('chat.postMessage gave no ts');
      return r.ts;
    },
    update: async (channel, ts, msg) => {
      await app.client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks ?? [] });
    },
    ephemeral: async (channel, user, text, thread) => {
      await app.client.chat.postEphemeral({ channel, user, text, ...(thread ? { thread_ts: thread } : {}) });
    },
  };
  const fleet: IntakeFleet = {
    place: (task) => o.place(task),
    start: (task, place) => o.start(task, place),
    decide: (node, args) => o.cockpit.requestOn(node, 'decide', args),
    hasNode: (name) => o.cockpit.links.some((l) => l.name === name),
  };
  const intake = new SlackIntake(slack, fleet, {
    channel: o.channel,
    allowedUsers: o.allowedUsers,
    ...(o.anyChannel ? { anyChannel: true } : {}),
    all: o.all,
    botUserId: auth.userId,
    log,
    ...(o.coalesceMs !== undefined ? { coalesceMs: o.coalesceMs } : {}),
  });

  const fail = (what: string) => (e: unknown) => log(`${what}: ${e instanceof Error ? e.message : String(e)}`);

  // what is not for this app in this workspace is dropped before any listener sees it
  const ours = { team: auth.teamId, app: appIdOf(o.appToken) };
  app.use(async (args) => {
    const why = notOurs(args.body, ours);
    if (!why) return args.next();
    log(`dropped something Slack sent: ${why}`);
    const ack = (args as unknown as { ack?: () => Promise<void> }).ack;
    if (ack) await ack().catch(() => undefined);
  });

  // a message in the intake's channel: every one written by a person, not a bot, and not a reply in a thread
  app.event('message', async ({ event }) => {
    const m = event as unknown as Record<string, unknown>;
    if (!o.channel || m.channel !== o.channel) return;
    // a message with a file attached is still a person's message; edits, joins and bots' messages are not tasks
    if ((m.subtype !== undefined && m.subtype !== 'file_share') || m.bot_id !== undefined || typeof m.user !== 'string')
      return;
    if (typeof m.ts !== 'string' || typeof m.text !== 'string') return;
    if (typeof m.thread_ts === 'string' && m.thread_ts !== m.ts) return;
    await intake.message({ channel: m.channel, ts: m.ts, user: m.user }, m.text).catch(fail('a message'));
  });
  // a mention of the app, in any channel it is in (taken only in the intake's, unless the config opens others)
  app.event('app_mention', async ({ event }) => {
    const m = event as unknown as Record<string, unknown>;
    if (m.bot_id !== undefined || typeof m.user !== 'string' || typeof m.channel !== 'string') return;
    if (typeof m.ts !== 'string' || typeof m.text !== 'string') return;
    if (typeof m.thread_ts === 'string' && m.thread_ts !== m.ts) return;
    await intake.message({ channel: m.channel, ts: m.ts, user: m.user }, m.text).catch(fail('a mention'));
  });
  // `/agency <task>` (whatever the command is named in the app's manifest)
  app.command(/^\/.+/, async ({ command, ack, respond }) => {
    const text = typeof command.text === 'string' ? command.text : '';
    await ack();
    if (typeof command.channel_id !== 'string' || typeof command.user_id !== 'string') return;
    await intake
      .command(
        {
          channel: command.channel_id,
          user: command.user_id,
          // to its user alone, wherever it was typed (the app need not be in that channel)
          respond: async (t) => void (await respond({ response_type: 'ephemeral', text: t })),
        },
        text,
      )
      .catch(fail('a command'));
  });
  app.action(
    { type: 'block_actions', action_id: new RegExp(`^(${APPROVE}|${DENY})$`) },
    async ({ ack, body, action }) => {
      await ack();
      const b = body as unknown as {
        user?: { id?: unknown };
        channel?: { id?: unknown };
        container?: { message_ts?: unknown };
        message?: { ts?: unknown };
      };
      const a = action as unknown as { action_id?: unknown; value?: unknown };
      const ts = b.container?.message_ts ?? b.message?.ts;
      await intake
        .click({
          user: b.user?.id,
          action: typeof a.action_id === 'string' ? a.action_id : '',
          value: a.value,
          channel: typeof b.channel?.id === 'string' ? b.channel.id : null,
          ts: typeof ts === 'string' ? ts : null,
        })
        .catch(fail('a click'));
    },
  );
  app.error(async (e) => log(`slack: ${e instanceof Error ? e.message : String(e)}`));

  o.cockpit.watch((e) => intake.event(e));
  try {
    await app.start();
  } catch (e) {
    await app.stop().catch(() => undefined);
    throw new SlackSetupError(
      `could not open Slack's Socket Mode connection (${redact(slackWhy(e), secrets)}); check SLACK_APP_TOKEN (an app-level token, xapp-…, with connections:write) and that Socket Mode is on for the app`,
    );
  }
  return {
    stop: async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), DRAIN_MS)));
      const drained = await Promise.race([intake.drain().then(() => 'sent' as const), late]);
      clearTimeout(timer);
      if (drained === 'late') log(`stopping without the replies Slack did not take within ${DRAIN_MS / 1000} s`);
      await app.stop();
    },
  };
}
