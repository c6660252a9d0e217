/**
 * `agency intake slack` before it connects: tokens come from the environment only, and a missing, malformed
 * or refused one is a clear error that names the variable and never shows its value.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackStandIn, type SlackStandIn } from '../fixtures/slack-standin.js';
import { agencyAsync, operatorEnv } from '../helpers/operator.js';
import { tempDir } from '../helpers/tmp.js';

const home = tempDir('ag-intake-');
let slack: SlackStandIn;
beforeAll(async () => {
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack.close();
  home.remove();
});

function env(extra: NodeJS.ProcessEnv, config: object = {}): NodeJS.ProcessEnv {
  const e = operatorEnv(join(home.path, 'home'), extra);
  mkdirSync(dirname(e.AGENCY_CONFIG!), { recursive: true });
  writeFileSync(e.AGENCY_CONFIG!, JSON.stringify(config));
  return e;
}

describe('agency intake slack', () => {
  it('a missing token is a usage error naming the variable', async () => {
    const noApp = await agencyAsync(['intake', 'slack'], env({ SLACK_BOT_TOKEN: slack.botToken }));
    expect(noApp.code).toBe(2);
    expect(noApp.stderr).toBe(
      "agency: SLACK_APP_TOKEN is not set: export the Slack app's app-level token (xapp-…) as SLACK_APP_TOKEN (see docs/economics.md, Slack)\n",
    );
    const noBot = await agencyAsync(['intake', 'slack'], env({ SLACK_APP_TOKEN: slack.appToken }));
    expect(noBot.code).toBe(2);
    expect(noBot.stderr).toContain('agency: SLACK_BOT_TOKEN is not set');
    expect(noBot.stderr + noBot.stdout).not.toContain(slack.appToken);
  });

  it('a token of the wrong kind is named, its value not shown', async () => {
    // the bot token where the app-level one goes
    const r = await agencyAsync(
      ['intake', 'slack'],
      env({ SLACK_APP_TOKEN: slack.botToken, SLACK_BOT_TOKEN: slack.botToken }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'agency: SLACK_APP_TOKEN is not a Slack app-level token: it should start with xapp- (its value is not shown)\n',
    );
    expect(r.stdout).toBe('');
  });

  it('a channel that is not a channel id, no channel, --all with no channel, and a stand-in API elsewhere are usage errors', async () => {
    const tokens = {
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_BOT_TOKEN: slack.botToken,
      AGENCY_SLACK_API_URL: slack.apiUrl,
    };
    const named = await agencyAsync(['intake', 'slack'], env(tokens, { slack: { channel: '#agency' } }));
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('slack.channel in');
    expect(named.stderr).toContain('is "#agency", not a channel id');
    const none = await agencyAsync(['intake', 'slack'], env(tokens, {}));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('slack.channel is not set in');
    expect(none.stderr).toContain('slack.anyChannel');
    const all = await agencyAsync(['intake', 'slack', '--all'], env(tokens, { slack: { anyChannel: true } }));
    expect(all.code).toBe(2);
    expect(all.stderr).toContain('--all posts in the intake');
    const before = slack.calls.length;
    const away = await agencyAsync(
      ['intake', 'slack'],
      env({ ...tokens, AGENCY_SLACK_API_URL: 'https://slack.example.com/api/' }, { slack: { channel: 'C0TASKS' } }),
    );
    expect(away.code).toBe(2);
    expect(away.stderr).toContain('AGENCY_SLACK_API_URL may name only this machine');
    expect(away.stderr).toContain('"https://slack.example.com"');
    expect(slack.calls.length).toBe(before);
  });

  it('a bot token Slack refuses is said at once, without the token, and nothing is started', async () => {
    const wrong = 'xoxb-9999-not-the-bots-token';
    const before = slack.calls.length;
    const r = await agencyAsync(
      ['intake', 'slack'],
      env(
        { SLACK_APP_TOKEN: slack.appToken, SLACK_BOT_TOKEN: wrong, AGENCY_SLACK_API_URL: slack.apiUrl },
        { slack: { channel: 'C0TASKS', allowedUsers: ['U0OPS', 'alice'] } },
      ),
    );
    expect(r.code).toBe(1);
    // an entry that is no user id is warned of
    expect(r.stderr).toMatch(
      /slack\.allowedUsers in .* has "alice", which is not a Slack user id .*: it matches nobody\n/,
    );
    expect(r.stderr.split('\n').slice(-2).join('\n')).toBe(
      "agency: Slack refused SLACK_BOT_TOKEN (auth.test: invalid_auth); check the app's Bot User OAuth Token (xoxb-…) under OAuth & Permissions\n",
    );
    expect(slack.calls.slice(before).map((c) => [c.method, c.token === wrong])).toEqual([['auth.test', true]]);
    for (const t of [wrong, slack.appToken]) expect(r.stdout + r.stderr).not.toContain(t);
  });
});
