/**
 * The intake's guards around Slack: envelopes of another workspace or app are not ours, a Socket Mode URL's
 * ticket never reaches a log, the stand-in Web API may be this machine only, and Slack's tokens leave the
 * environment before anything is started from it.
 */
import { describe, expect, it } from 'vitest';
import { dropSlackSecrets, standInUrl } from '../../src/cli/intake-command.js';
import { UserError } from '../../src/cli/output.js';
import { nodeStartEnv } from '../../src/fleet/local.js';
import { appIdOf, notOurs } from '../../src/intake/slack-envelope.js';
import { redact, redactingLogger } from '../../src/intake/slack-logger.js';

describe('the Slack intake guards', () => {
  it('takes the app id from an app-level token, and drops payloads of another team or app', () => {
    expect(appIdOf('xapp-1-A0STANDIN-123-abcdef')).toBe('A0STANDIN');
    expect(appIdOf('xapp-odd')).toBeNull();
    const ours = { team: 'T0OURS', app: 'A0OURS' };
    expect(notOurs({ team_id: 'T0OURS', api_app_id: 'A0OURS', event: {} }, ours)).toBeNull();
    expect(notOurs({ team: { id: 'T0OURS' }, user: { id: 'U1' } }, ours)).toBeNull();
    expect(notOurs({ team_id: 'T0EVIL', api_app_id: 'A0OURS' }, ours)).toMatch(/team T0EVIL, not T0OURS/);
    expect(notOurs({ team: { id: 'T0EVIL' } }, ours)).toMatch(/team T0EVIL/);
    expect(notOurs({ team_id: 'T0OURS', api_app_id: 'A0OTHER' }, ours)).toMatch(/app A0OTHER, not A0OURS/);
    expect(notOurs('x', ours)).toMatch(/not an object/);
    // what is not known is not checked
    expect(notOurs({ team_id: 'T0ANY', api_app_id: 'A0ANY' }, { team: null, app: null })).toBeNull();
  });

  it("takes a Socket Mode URL's ticket out of what is logged", () => {
    const url = 'wss://wss-primary.slack.com/link/?ticket=4f2c1d9e-aaaa-bbbb&app_id=A0OURS';
    expect(redact(`connecting to ${url}`, [])).toBe(
      'connecting to wss://wss-primary.slack.com/link/?ticket=[redacted]&app_id=A0OURS',
    );
    const lines: string[] = [];
    const logger = redactingLogger([], (l) => lines.push(l), 'debug');
    logger.debug('Going to establish a new connection to Slack ...', { url });
    expect(lines.join('\n')).not.toContain('4f2c1d9e');
  });

  it('takes the stand-in Web API on this machine only, and refuses any other host clearly', () => {
    for (const ok of ['http://127.0.0.1:4000/api/', 'http://localhost:1/api/', 'http://[::1]:80/api/'])
      expect(standInUrl(ok)).toBe(ok);
    for (const bad of ['https://slack.example.com/api/', 'http://10.0.0.1/api/', 'file:///etc/passwd', 'nope']) {
      expect(() => standInUrl(bad)).toThrow(UserError);
      expect(() => standInUrl(bad)).toThrow(/AGENCY_SLACK_API_URL/);
    }
  });

  it("takes Slack's secrets out of the environment, and out of the local node's, keeping the node's own", () => {
    const env: NodeJS.ProcessEnv = {
      SLACK_APP_TOKEN: 'xapp-1-A0-1-s',
      SLACK_BOT_TOKEN: 'xoxb-1-s',
      SLACK_SIGNING_SECRET: 's',
      SLACK_CHANNEL_NAME: 'ops',
      ANTHROPIC_API_KEY: 'sk-ant-1',
      PATH: '/usr/bin',
    };
    expect(nodeStartEnv(env)).toEqual({ SLACK_CHANNEL_NAME: 'ops', ANTHROPIC_API_KEY: 'sk-ant-1', PATH: '/usr/bin' });
    dropSlackSecrets(env);
    expect(env).toEqual({ SLACK_CHANNEL_NAME: 'ops', ANTHROPIC_API_KEY: 'sk-ant-1', PATH: '/usr/bin' });
  });
});
