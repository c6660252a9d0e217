/**
 * `agency intake slack`: takes tasks from Slack and answers decisions there, until interrupted. The tokens
 * come from the environment only (SLACK_APP_TOKEN, SLACK_BOT_TOKEN) and are never printed; the channel and
 * who may answer decisions come from the operator config (`slack`). A task is placed as `agency run` places
 * one with no --node, and started on the repository given with --repo (default: the current folder).
 */
import { Cockpit } from '../cockpit/client.js';
import { placeRun } from '../cockpit/run-place.js';
import { configPath, loadConfig } from '../config/config.js';
import { slackIdentity, SlackSetupError, startSlackIntake } from '../intake/slack.js';
import { redact } from '../intake/slack-logger.js';
import { parseRepo, RepoRefError } from '../protocol/repo-url.js';
import { loadOrgTriage } from './org-triage.js';
import { EXIT, printable, UserError, warn } from './output.js';
import { runFrom } from './repo-source.js';

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

export async function intakeSlack(o: { repo?: string; all?: boolean; debug?: boolean }): Promise<void> {
  const env = process.env;
  const appToken = token(env, 'SLACK_APP_TOKEN', 'xapp-', 'app-level token');
  const botToken = token(env, 'SLACK_BOT_TOKEN', 'xoxb-', 'bot token');
  const config = loadConfig();
  const channel = config.slack?.channel ?? null;
  const allowedUsers = config.slack?.allowedUsers ?? [];
  if (channel !== null && !CHANNEL_ID.test(channel))
    throw new UserError(
      `slack.channel in ${configPath()} is ${JSON.stringify(channel)}, not a channel id: give the channel's id (C… or G…; in Slack, the channel's details show it at the bottom)`,
      EXIT.usage,
    );
  if (o.all && channel === null)
    throw new UserError(`--all posts in the intake's channel: set slack.channel in ${configPath()}`, EXIT.usage);
  if (o.repo !== undefined) {
    try {
      parseRepo(o.repo);
    } catch (e) {
      if (e instanceof RepoRefError) throw new UserError(`--repo: ${e.message}`, EXIT.usage);
      throw e;
    }
  }
  const triage = loadOrgTriage(config);
  const log = (line: string) => warn(`agency intake slack: ${printable(redact(line, [appToken, botToken]))}`);
  if (allowedUsers.length === 0)
    log(`slack.allowedUsers in ${configPath()} is empty: decisions are posted, but nobody can answer them from Slack`);

  // the SDK's background work (a reconnect, an envelope it cannot read) must not end the intake
  process.on('unhandledRejection', (e) => log(`ignored an error: ${e instanceof Error ? e.message : String(e)}`));

  const slack = {
    appToken,
    botToken,
    ...(env.AGENCY_SLACK_API_URL ? { apiUrl: env.AGENCY_SLACK_API_URL } : {}),
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
  const where = channel ? `channel ${channel}, mentions and the slash command` : 'mentions and the slash command';
  log(
    `connected to Slack as ${bot.userId ?? 'the app'}${bot.team ? ` (${bot.team})` : ''}: taking tasks from ${where}; ${allowedUsers.length} user(s) may answer decisions`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
  });
  log(`${signal}: stopping`);
  await running.stop().catch((e: Error) => log(`stopping: ${e.message}`));
  cockpit.close();
}
