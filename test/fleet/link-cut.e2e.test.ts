/**
 * A node's link is cut for 30 s while its session prints: the cockpit marks it down within the keepalive
 * window, reconnects on its own when the link returns, and the output it received equals what the session
 * printed, byte for byte (compared with the node's own output log): no gap, no duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cockpit } from '../../src/cockpit/client.js';
import { subscribePty } from '../../src/cockpit/pty-subscription.js';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { ssh } from '../helpers/fleet.js';
import { until } from '../helpers/until.js';

const KEEPALIVE_MS = 1000;
const KEEPALIVE_COUNT = 2;
const CUT_MS = 30_000;
let f: AgencyFleet;

beforeAll(async () => {
  f = await agencyFleet(
    1,
    () => ({
      steps: [
        {
          tool: 'Bash',
          input: {
            command: "sh -c 'i=0; while [ $i -lt 1100 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done'",
            description: 'tick for a minute',
          },
        },
        { text: 'ticked' },
      ],
    }),
    { prefix: 'agc', subnet: '10.203' },
  );
  const push = await f.agency(['push', '--json'], { timeoutMs: 120_000 });
  expect(push.code, push.stdout + push.stderr).toBe(0);
  Object.assign(process.env, {
    AGENCY_CONFIG: f.configFile,
    AGENCY_SSH_KEEPALIVE_MS: String(KEEPALIVE_MS),
    AGENCY_SSH_KEEPALIVE_COUNT: String(KEEPALIVE_COUNT),
  });
}, 180_000);
afterAll(async () => f?.cleanup(), 120_000);

describe('a link cut for 30 s', () => {
  it(
    'is marked down within the keepalive window, comes back by itself, and loses no byte',
    { timeout: 240_000 },
    async () => {
      const run = await f.agency([
        'run',
        'tick',
        '--node',
        'n1',
        '--repo',
        `${f.node('n1').home}/repo`,
        '--discipline',
        'backend',
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout);

      const cockpit = await Cockpit.open({ live: true });
      try {
        const link = cockpit.link('n1');
        const received: Buffer[] = [];
        let next = 0;
        let resets = 0;
        const stop = subscribePty(link, session, 0, {
          onData(seq, data) {
            expect(seq).toBe(next); // in order, nothing missing, nothing twice
            received.push(data);
            next = seq + data.length;
          },
          onReset: () => resets++,
        });
        // the session's tool is running and printing: the API has been asked (and answers at once), and what is
        // counted is printed after that, not the bytes of Claude Code's own first screen
        const api = f.apis.get('n1')!;
        await until('the session to ask the API', () => api.requests.some((r) => r.kind === 'main'), 60_000);
        const asked = next;
        await until('the session to be printing', () => next > asked + 2000, 60_000);

        const cutAt = Date.now();
        await f.fleet.cut(1);
        await until('the link to be marked down', () => link.status().state !== 'up', 30_000);
        const detectedMs = Date.now() - cutAt;
        expect(detectedMs).toBeLessThan(KEEPALIVE_MS * (KEEPALIVE_COUNT + 1) + 1500);
        const seqAtCut = next;
        // the cut lasts 30 s: the session goes on printing on the node meanwhile
        await new Promise((r) => setTimeout(r, Math.max(0, CUT_MS - (Date.now() - cutAt))));
        await f.fleet.restore(1);
        await until('the link to come back', () => link.status().state === 'up', 60_000);

        // everything the session printed, also while cut off, arrives
        const status = async () => JSON.parse((await f.agency(['status', '--json'])).stdout).sessions[0];
        let last: unknown = null;
        await until(
          'the session to finish',
          async () => {
            last = await status();
            return (last as { state: string }).state === 'idle';
          },
          120_000,
          () => JSON.stringify(last),
        );
        const total = (await status()).outputSeq;
        await until('every byte to arrive', () => next === total, 30_000);
        expect(next).toBeGreaterThan(seqAtCut);
        expect(resets).toBe(0);
        stop();

        const log = await ssh(f.fleet, f.node('n1'), [`cat ~/.agency/sessions/${session}/output-*.bin | base64 -w0`], {
          timeoutMs: 30_000,
        });
        const printed = Buffer.from(log.stdout.trim(), 'base64');
        expect(printed.length).toBe(total);
        expect(Buffer.concat(received).equals(printed)).toBe(true);
      } finally {
        cockpit.close();
      }
    },
  );
});
