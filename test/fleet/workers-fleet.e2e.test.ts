/**
 * 16 test nodes, each with a session fanning out to a wave of real claude workers, while the operator's
 * cockpit watches: every node's workers run and end, and their reports reach the cockpit while they are news.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENCY_BIN } from '../helpers/agency.js';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { until } from '../helpers/until.js';
import { managerScript, scenario, workerRoute, type WorkerSpec } from '../helpers/worker-scripts.js';

const NODES = Number(process.env.AGENCY_TEST_FLEET_SIZE ?? 16);
const workers: WorkerSpec[] = [
  { id: 'look-a', prompt: 'Look at part a.' },
  { id: 'look-b', prompt: 'Look at part b.' },
];
let f: AgencyFleet;
/** what each node's manager was told by its tools, to say why a node fell short */
const tools = new Map<string, { tool: string; result: string }[]>();
const told = (node: string) => {
  const list: { tool: string; result: string }[] = [];
  tools.set(node, list);
  return list;
};

beforeAll(async () => {
  f = await agencyFleet(NODES, (n) => scenario(managerScript({ workers, seen: told(n.name) }), workerRoute({})), {
    prefix: 'agw',
    subnet: '10.207',
  });
  const pushed = await f.agency(['push', '--json'], { timeoutMs: 280_000 });
  if (pushed.code !== 0) throw new Error(`push failed: ${pushed.stdout}${pushed.stderr}`);
}, 400_000);
afterAll(async () => f?.cleanup(), 120_000);

interface Seen {
  at: number;
  line: { kind: string; at: string; worker?: { id: string; node: string; state: string; updatedAt: string } };
}

describe(`workers on a fleet of ${NODES} nodes`, () => {
  it(
    'every node runs its wave, and the cockpit hears of each worker while it is news',
    { timeout: 600_000 },
    async () => {
      const seen: Seen[] = [];
      const watch: ChildProcess = spawn(process.execPath, [AGENCY_BIN, 'watch', '--json'], {
        env: f.env,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let buf = '';
      watch.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const l = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (l.trim()) seen.push({ at: Date.now(), line: JSON.parse(l) });
        }
      });
      try {
        await until('the watch snapshot', () => seen.length > 0, 60_000);
        const started = await Promise.all(
          f.fleet.nodes.map(async (n) => {
            const r = await f.agency([
              'run',
              'look around with workers',
              '--node',
              n.name,
              '--repo',
              `${n.home}/repo`,
              '--discipline',
              'backend',
              '--json',
            ]);
            expect(r.code, `${n.name}: ${r.stdout}${r.stderr}`).toBe(0);
            return JSON.parse(r.stdout) as { session: string; node: string };
          }),
        );
        const waited = await Promise.all(
          started.map((s) => f.agency(['wait', `${s.node}/${s.session}`, '--timeout', '400'], { timeoutMs: 420_000 })),
        );
        waited.forEach((w, i) => expect(w.code, `${started[i]!.node}: ${w.stdout}${w.stderr}`).toBe(0));

        // every node's two workers ended done, as the nodes say
        const status = JSON.parse((await f.agency(['status', '--json'])).stdout);
        for (const n of status.nodes)
          expect(n.workers.states.done, `${n.name}: ${JSON.stringify(tools.get(n.name))}`).toBe(2);
        // and the cockpit heard each worker's end, soon after it happened
        const ends = seen.filter((s) => s.line.kind === 'worker' && s.line.worker!.state === 'done');
        // the first time the cockpit heard of it (a later line may repeat what it said)
        const byWorker = new Map<string, Seen>();
        for (const s of ends)
          if (!byWorker.has(`${s.line.worker!.node}/${s.line.worker!.id}`))
            byWorker.set(`${s.line.worker!.node}/${s.line.worker!.id}`, s);
        expect(byWorker.size).toBe(NODES * 2);
        // when the cockpit printed it (its `at`), not when this busy test process (it serves every node's
        // scripted API) got round to reading it
        const lags = [...byWorker.values()]
          .map((s) => Date.parse(s.line.at) - Date.parse(s.line.worker!.updatedAt))
          .sort((a, b) => a - b);
        const p95 = lags[Math.floor(lags.length * 0.95)]!;
        console.log(
          `worker reports reached the cockpit after: median ${lags[lags.length >> 1]} ms, p95 ${p95} ms, max ${lags.at(-1)} ms`,
        );
        const slow = [...byWorker.entries()]
          .map(([k, s]) => [k, Date.parse(s.line.at) - Date.parse(s.line.worker!.updatedAt), s.line.worker!.updatedAt])
          .sort((a, b) => Number(b[1]) - Number(a[1]))
          .slice(0, 6);
        // the aim is under a second (measured: see the closing figures); the bound leaves room for a loaded 2-core CI machine
        expect(p95, JSON.stringify(slow)).toBeLessThan(2000);
      } finally {
        watch.kill();
      }
    },
  );
});
