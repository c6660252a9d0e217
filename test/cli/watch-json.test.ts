/**
 * `agency watch --json` against a real node (server and session table over a temporary home, on its Unix
 * socket): the snapshot first, then only what changes, each line with `schema` first and the time it was
 * seen. Nothing the snapshot said comes again (regression: every session was repeated after the snapshot,
 * from the node's replay of its state when the watch began).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENCY_BIN } from '../helpers/agency.js';
import { offlineNode } from '../helpers/node-server.js';
import { decisionRecord, sessionRecord } from '../helpers/state-records.js';
import { until } from '../helpers/until.js';

const node = offlineNode('ag-watch-', {
  state: (home) => ({
    version: 1,
    sessions: [
      sessionRecord(home, 's-aaa111', { state: 'needs-input' }),
      sessionRecord(home, 's-bbb222'),
      sessionRecord(home, 's-ccc333', { state: 'failed', reason: 'it failed' }),
    ],
    decisions: [decisionRecord('s-aaa111', 'd-0f0f0f'), decisionRecord('s-aaa111', 'd-1e1e1e')],
  }),
});
const env = { ...process.env, AGENCY_HOME: node.dir.path, AGENCY_CONFIG: join(node.dir.path, 'config.json') };

/** How many watchers the node has: the server subscribes one to the session table per `watch` request. */
let watchers = 0;
const subscribe = node.manager.onEvent.bind(node.manager);
node.manager.onEvent = (f) => {
  watchers += 1;
  return subscribe(f);
};

/** `agency …` in a child process, without blocking this one (the node serves from here). */
function agency(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [AGENCY_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(() => node.listen());
afterAll(() => node.close());

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('agency watch --json', () => {
  let p: ChildProcess;
  let out = '';
  const lines = () => out.split('\n').filter(Boolean);
  afterAll(() => p?.kill('SIGTERM'));

  it('prints the snapshot, then one line per change and nothing else', async () => {
    p = spawn(process.execPath, [AGENCY_BIN, 'watch', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err += d));
    await until(
      'the snapshot',
      () => lines().length >= 1,
      30_000,
      () => err,
    );
    const first = JSON.parse(lines()[0]!);
    expect(Object.keys(first)).toEqual(['schema', 'kind', 'at', 'snapshot']);
    expect(first).toMatchObject({ schema: 1, kind: 'snapshot' });
    expect(first.at).toMatch(ISO);
    expect(first.snapshot.sessions.map((s: { id: string }) => s.id).sort()).toEqual([
      's-aaa111',
      's-bbb222',
      's-ccc333',
    ]);
    expect(first.snapshot.decisions).toHaveLength(2);
    // the watch has been subscribed and the node has replayed its state to it: that replay says nothing new
    await until('the watch to subscribe', () => watchers === 1);

    const deny = await agency(['deny', 'd-0f0f0f', '--reason', 'not now']);
    expect(deny.code, deny.stderr).toBe(0);
    await until(
      'the changes',
      () => lines().length >= 3,
      10_000,
      () => out,
    );
    const after = lines()
      .slice(1)
      .map((l) => JSON.parse(l));
    expect(after.map((e) => Object.keys(e).slice(0, 3))).toEqual([
      ['schema', 'kind', 'at'],
      ['schema', 'kind', 'at'],
    ]);
    expect(after[0]).toMatchObject({
      kind: 'decision',
      decision: { id: 'd-0f0f0f', state: 'denied', reason: 'not now' },
    });
    expect(after[1]).toMatchObject({ kind: 'session', session: { id: 's-aaa111', openDecisions: 1 } });
    for (const e of after) expect(e.at).toMatch(ISO);

    // a second change: by the time its lines are there, anything else would have been printed before them
    expect((await agency(['approve', 'd-1e1e1e'])).code).toBe(0);
    await until(
      'the second change',
      () => lines().length >= 5,
      10_000,
      () => out,
    );
    const all = lines().map((l) => JSON.parse(l));
    expect(all.map((e) => `${e.kind} ${e.session?.id ?? e.decision?.id ?? ''}`)).toEqual([
      'snapshot ',
      'decision d-0f0f0f',
      'session s-aaa111',
      'decision d-1e1e1e',
      'session s-aaa111',
    ]);
    expect(all[3].decision.state).toBe('approved');
    expect(all[4].session.openDecisions).toBe(0);
  });
});
