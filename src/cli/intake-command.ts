/**
 * `agency intake slack`: takes tasks from Slack and answers decisions there, until interrupted. The tokens
 * come from the environment only (SLACK_APP_TOKEN, SLACK_BOT_TOKEN), are never printed, and are taken out of
 * this process's environment once read (so that no node or session it starts inherits them); the channel and
 * who may give tasks and answer decisions come from the operator config (`slack`). A task is placed as `agency run` places
 * one with no --node, and started on the repository given with --repo (default: the current folder).
 */
import { Cockpit } from '../cockpit/client.js';
import { placeRun } from '../cockpit/run-place.js';
import { configPath, loadConfig } from '../config/config.js';
import { slackIdentity, SlackSetupError, startSlackIntake } from '../intake/slack.js';
import { redact } from '../intake/slack-logger.js';
import { isSecretVariable } from '../protocol/secret-env.js';
import { loadOrgTriage } from './org-triage.js';
import { EXIT, printable, UserError, warn } from './output.js';
import { checkRepoOption, runFrom } from './repo-source.js';

/** A Slack channel id, as events name channels (`C…` public, `G…` private). */
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

/** A token from the environment: missing or of the wrong kind is a usage error that names the variable. */
function token(env: NodeJS.ProcessEnv, name: string, prefix: string, what: string): string {
  const v = env[name];
  if (!v)
    throw new UserError(
      `${name} is not set: export the Slack app's ${what} (${prefix}…) as ${name} (see docs/economics.md, Slack)`,
      EXIT.usage,
    );
  if (!v.startsWith(prefix) || /\s/.test(v))
    throw new UserError(
      `${name} is not a Slack ${what}: it should start with ${prefix} (its value is not shown)`,
      EXIT.usage,
    );
  return v;
}

/** A Slack user id (`U…`, `W…` on Enterprise Grid). */
const USER_ID = /^[UW][A-Z0-9]+$/;

/** Takes Slack's secrets out of the environment, so that nothing this process starts inherits them. */
export function dropSlackSecrets(env: NodeJS.ProcessEnv): void {
  for (const k of Object.keys(env)) if (k.startsWith('SLACK_') && isSecretVariable(k)) delete env[k];
}

/** The Web API a test's stand-in serves: on this machine only, never a host elsewhere. */
export function standInUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UserError(`AGENCY_SLACK_API_URL is not a URL; it is for tests only: unset it`, EXIT.usage);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
  if (!loopback || (u.protocol !== 'http:' && u.protocol !== 'https:'))
    throw new UserError(
      `AGENCY_SLACK_API_URL may name only this machine (127.0.0.1, ::1, localhost) over http(s), not ${JSON.stringify(`${u.protocol}//${u.host}`)}: it is for tests, and the bot token is sent there; unset it to talk to Slack`,
      EXIT.usage,
    );
  return value;
}

export async function intakeSlack(o: { repo?: string; all?: boolean; debug?: boolean }): Promise<void> {
  const env = process.env;
  const appToken = token(env, 'SLACK_APP_TOKEN', 'xapp-', 'app-level token');
  const botToken = token(env, 'SLACK_BOT_TOKEN', 'xoxb-', 'bot token');
  const apiUrl = env.AGENCY_SLACK_API_URL ? standInUrl(env.AGENCY_SLACK_API_URL) : undefined;
  dropSlackSecrets(env);
  const config = loadConfig();
  const channel = config.slack?.channel ?? null;
  const allowedUsers = config.slack?.allowedUsers ?? [];
  const anyChannel = config.slack?.anyChannel ?? false;
  if (channel !== null && !CHANNEL_ID.test(channel))
    throw new UserError(
      `slack.channel in ${configPath()} is ${JSON.stringify(channel)}, not a channel id: give the channel's id (C… or G…; in Slack, the channel's details show it at the bottom)`,
      EXIT.usage,
    );
  if (channel === null && !anyChannel)
    throw new UserError(
      `slack.channel is not set in ${configPath()}: set it to the channel tasks come from (or set slack.anyChannel to true to take mentions and the slash command in any channel the app is in)`,
      EXIT.usage,
    );
  if (o.all && channel === null)
    throw new UserError(`--all posts in the intake's channel: set slack.channel in ${configPath()}`, EXIT.usage);
  if (o.repo !== undefined) checkRepoOption(o.repo);
  const triage = loadOrgTriage(config);
  const log = (line: string) => warn(`agency intake slack: ${printable(redact(line, [appToken, botToken]))}`);
  if (allowedUsers.length === 0)
    log(
      `slack.allowedUsers in ${configPath()} is empty: nobody can give tasks or answer decisions from Slack; list the user ids who may`,
    );
  for (const u of allowedUsers)
    if (!USER_ID.test(u))
      log(
        `slack.allowedUsers in ${configPath()} has ${JSON.stringify(u)}, which is not a Slack user id (U… or W…, in capitals; a profile's ⋮ → Copy member ID): it matches nobody`,
      );

  // the SDK's background work (a reconnect, an envelope it cannot read) must not end the intake
  process.on('unhandledRejection', (e) =>
    log(
      `ignored an error: ${e instanceof Error ? (o.debug && e.stack ? e.stack.replace(/\n\s*/g, ' | ') : e.message) : String(e)}`,
    ),
  );

  const slack = {
    appToken,
    botToken,
    ...(apiUrl ? { apiUrl } : {}),
    ...(o.debug ? { debug: true } : {}),
  };
  // a token Slack refuses is said before any node is started
  const bot = await slackIdentity(slack, log).catch((e: unknown) => {
    throw e instanceof SlackSetupError ? new UserError(e.message) : e;
  });
  const cockpit = await Cockpit.open({ start: true, live: true });
  let running;
  try {
    running = await startSlackIntake(
      {
        ...slack,
        channel,
        allowedUsers,
        anyChannel,
        all: o.all ?? false,
        cockpit,
        place: (task) => placeRun(cockpit, triage, task, undefined),
        start: (task, place) =>
          runFrom(
            cockpit,
            { ...(o.repo !== undefined ? { repo: o.repo } : {}), ...(place.node ? { node: place.node } : {}) },
            {
              task,
              ...(place.discipline ? { discipline: place.discipline } : {}),
              ...(place.vp ? { vp: place.vp } : {}),
            },
          ),
        log,
      },
      bot,
    );
  } catch (e) {
    cockpit.close();
    if (e instanceof SlackSetupError) throw new UserError(e.message);
    throw e;
  }
  const where = anyChannel
    ? `${channel ? `channel ${channel}, ` : ''}mentions and the slash command in any channel`
    : `channel ${channel} (messages, mentions and the slash command)`;
  log(
    `connected to Slack as ${bot.userId ?? 'the app'}${bot.team ? ` (${bot.team})` : ''}: taking tasks from ${where}; ${allowedUsers.length} user(s) may give tasks and answer decisions`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
  });
  log(`${signal}: stopping`);
  await running.stop().catch((e: Error) => log(`stopping: ${e.message}`));
  cockpit.close();
}
