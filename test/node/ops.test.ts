/**
 * The node's edge: every request is checked before it reaches the session table. A malformed request is
 * refused with `bad-request` naming the field and what is wrong, an op a connection's role may not ask for
 * is refused with `forbidden`, and the connection goes on serving. A hook connection is a session's only
 * with that session's token. A real node server and manager over a temporary home, on a real Unix socket;
 * no session is started, so no claude is needed.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineNode } from '../helpers/node-server.js';
import { SessionTokens } from '../../src/node/session-tokens.js';
import { Connection } from '../../src/protocol/connection.js';
import type { Hello } from '../../src/protocol/messages.js';

let shutdowns = 0;
const node = offlineNode('agency-ops-', { onShutdown: () => (shutdowns += 1) });
const { paths, info, tokens } = node;
const open: Connection[] = [];

beforeAll(() => node.listen());
afterAll(async () => {
  for (const c of open) c.close();
  await node.close();
});

async function connectAs(role: Hello['role'], more: Partial<Hello> = {}): Promise<Connection> {
  const conn = new Connection(connect(paths.socket), { role, agent: 'test', ...more });
  open.push(conn);
  await conn.ready;
  return conn;
}

/** A request as any peer may put it on the wire, whatever the types say. */
function wire(conn: Connection, op: string, args: unknown): Promise<unknown> {
  return (conn.request as (op: string, args: unknown) => Promise<unknown>).call(conn, op, args);
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
  );

describe('a request the node cannot take', () => {
  const session = 's-abc123';
  const cases: [string, string, unknown, string][] = [
    ['a missing field', 'run', { repo: '/tmp' }, 'run.task: required (a string)'],
    ['a wrong type', 'run', { task: 42, repo: '/tmp' }, 'run.task: expected a string, got a number'],
    [
      'a fraction for a whole number',
      'resize',
      { session, cols: 80.5, rows: 30 },
      'resize.cols: expected a whole number, got 80.5',
    ],
    ['an unknown key', 'stop', { session, force: true }, 'stop.force: unknown key'],
    [
      'an oversize text',
      'send',
      { session, text: 'x'.repeat(100_001) },
      'send.text: longer than 100000 characters (it has 100001)',
    ],
    [
      'a task of 1 MB',
      'run',
      { task: 'y'.repeat(1024 * 1024), repo: '/tmp' },
      'run.task: the task is 1024 KB, over the limit of 100 KB (claude is given it as one argument); put the details in a file in the repository and name that file in the task',
    ],
    [
      'a task just over 100 KB in bytes, though under it in characters',
      'run',
      { task: 'é'.repeat(60_000), repo: '/tmp' },
      'run.task: the task is 118 KB, over the limit of 100 KB (claude is given it as one argument); put the details in a file in the repository and name that file in the task',
    ],
    [
      'a task with a NUL',
      'run',
      { task: 'fix the bug\u0000 and delete the rest', repo: '/tmp' },
      'run.task: the task contains a NUL character, which no program can be given in an argument; remove it',
    ],
    ['a blank task', 'run', { task: ' \n', repo: '/tmp' }, 'run.task: the task is empty'],
    [
      'an option for a model',
      'run',
      { task: 'fix it', repo: '/tmp', model: '--dangerously-skip-permissions' },
      'run.model: not a model name (sonnet, opus, haiku or a claude-… model id)',
    ],
    [
      'a path for a session id',
      'stop',
      { session: '../../etc' },
      'stop.session: not a session id (they look like s-1a2b3c)',
    ],
    [
      'a negative sequence',
      'pty-subscribe',
      { session, fromSeq: -1 },
      'pty-subscribe.fromSeq: a sequence number is 0 or more',
    ],
    ['args that are not an object', 'run', 'fix the bug', 'run: expected an object, got a string'],
    ['a list for args', 'decide', [1, 2], 'decide: expected an object, got a list'],
    ['an unknown op', 'frobnicate', {}, 'unknown operation "frobnicate"'],
    ['an op named after an object property', 'constructor', {}, 'unknown operation "constructor"'],
    ['an op named after the prototype', '__proto__', {}, 'unknown operation "__proto__"'],
  ];

  it.each(cases)(
    '%s is refused as bad-request naming it, and the connection serves on',
    async (_, op, args, message) => {
      const conn = await connectAs('cockpit');
      expect(await refusal(wire(conn, op, args))).toEqual({ code: 'bad-request', message });
      const status = await conn.request('status', {});
      expect(status).toEqual({ node: info, sessions: [], decisions: [], workers: [] });
    },
  );

  it('names at most three problems of one request and counts the rest', async () => {
    const conn = await connectAs('cockpit');
    const args = { task: 1, repo: 2, a: 0, b: 0, c: 0 };
    expect(await refusal(wire(conn, 'run', args))).toEqual({
      code: 'bad-request',
      message:
        'run.task: expected a string, got a number; run.repo: expected a string, got a number; run.a: unknown key; and 2 more',
    });
  });

  it('refuses a terminal size no session can have, in words the operator can act on', async () => {
    const conn = await connectAs('cockpit');
    expect(await refusal(wire(conn, 'resize', { session, cols: 5, rows: 30 }))).toEqual({
      code: 'bad-request',
      message:
        'resize.cols: a terminal 5 columns wide is not one agency can give a session (20–1000 columns × 5–500 rows)',
    });
  });

  it('passes well-formed args on to the session table, which says what it lacks', async () => {
    const conn = await connectAs('cockpit');
    expect(await refusal(conn.request('stop', { session }))).toEqual({
      code: 'not-found',
      message: `no session "${session}" on node edge`,
    });
    expect(await refusal(conn.request('pty-subscribe', { session, fromSeq: 0 }))).toMatchObject({ code: 'not-found' });
  });
});

describe('who may ask for what', () => {
  const session = 's-abc123';
  const asHook = (id = session, token = tokens.token(id)) => connectAs('hook', { session: id, token });

  it("refuses a session's hook connection the operator's ops, and serves its own", async () => {
    const hook = await asHook();
    const asks: [string, unknown][] = [
      ['decide', { decision: 'd-abc123', approve: true }],
      ['run', { task: 'delete everything', repo: '/tmp' }],
      ['stop', { session }],
      ['send', { session, text: 'yes' }],
      ['status', {}],
      ['watch', {}],
      ['screen', { session }],
      ['pty-subscribe', { session, fromSeq: 0 }],
      ['shutdown', {}],
      // a session may fan out its own workers, never list, read or stop the node's
      ['workers', {}],
      ['worker-output', { worker: 'w-abc123' }],
      ['worker-stop', { run: 'r-abc123' }],
    ];
    for (const [op, args] of asks)
      expect(await refusal(wire(hook, op, args))).toEqual({
        code: 'forbidden',
        message: `the hook connection of session ${session} may not ask this node for ${op}; only the operator's cockpit may`,
      });
    // its own op goes through to the session table (which knows no such session)
    expect(await refusal(hook.request('hook', { session, event: 'Stop', input: { hook_event_name: 'Stop' } }))).toEqual(
      { code: 'not-found', message: `no session "${session}" on node edge` },
    );
    expect(shutdowns).toBe(0);
  });

  it("refuses the operator's cockpit a session's own worker ops, and a session another's", async () => {
    const cockpit = await connectAs('cockpit');
    for (const [op, args] of [
      ['spawn-workers', { session, workers: [{ id: 'a', prompt: 'x' }] }],
      ['wait-workers', { session, run: 'r-1' }],
      ['merge-workers', { session, run: 'r-1' }],
    ] as const)
      expect(await refusal(wire(cockpit, op, args))).toEqual({
        code: 'forbidden',
        message: `the operator's cockpit may not ask this node for ${op}; only a session's hook program may`,
      });
    const hook = await asHook();
    expect(
      await refusal(hook.request('spawn-workers', { session: 's-def456', workers: [{ id: 'a', prompt: 'x' }] })),
    ).toEqual({
      code: 'forbidden',
      message: `the hook connection of session ${session} may not act for session "s-def456"`,
    });
  });

  it('lets a hook connection report for its own session only', async () => {
    const hook = await asHook();
    expect(
      await refusal(hook.request('hook', { session: 's-def456', event: 'Stop', input: { hook_event_name: 'Stop' } })),
    ).toEqual({
      code: 'forbidden',
      message: `the hook connection of session ${session} may not act for session "s-def456"`,
    });
  });

  it.each([
    ['no token', { session }],
    ['no session', { token: tokens.token(session) }],
    ['a token of another session', { session, token: tokens.token('s-def456') }],
    ['a token one digit off', { session, token: tokens.token(session).replace(/.$/, (c) => (c === '0' ? '1' : '0')) }],
    ['a token of another node', { session, token: SessionTokens.fromSecret(Buffer.alloc(32, 8)).token(session) }],
    ['a token that is not hex', { session, token: 'z'.repeat(64) }],
    ['a token that is not a string', { session, token: 42 as unknown as string }],
    ['a path for a session', { session: '../../etc', token: tokens.token(session) }],
  ])('refuses a hook connection with %s everything, its own op too', async (_, hello) => {
    const hook = await connectAs('hook', hello);
    for (const [op, args] of [
      ['hook', { session, event: 'Stop', input: { hook_event_name: 'Stop' } }],
      ['decide', { decision: 'd-abc123', approve: true }],
    ] as const)
      expect(await refusal(wire(hook, op, args))).toMatchObject({
        code: 'forbidden',
        message: expect.stringMatching(/^a hook connection .*whose token does not hold may not ask this node for/),
      });
  });

  it('refuses the role check before looking at the args: a hook cannot probe them', async () => {
    const hook = await asHook();
    expect(await refusal(wire(hook, 'run', { nonsense: true }))).toMatchObject({ code: 'forbidden' });
  });

  it('keeps the hook op to hook programs, and a peer of no known role gets nothing', async () => {
    const cockpit = await connectAs('cockpit');
    expect(await refusal(cockpit.request('hook', { session, event: 'Stop', input: {} }))).toEqual({
      code: 'forbidden',
      message: `the operator's cockpit may not ask this node for hook; only a session's hook program may`,
    });
    for (const role of ['node', 'admin'] as Hello['role'][]) {
      const other = await connectAs(role);
      expect(await refusal(other.request('status', {}))).toEqual({
        code: 'forbidden',
        message: `a "${role}" connection may not ask this node for status; only the operator's cockpit may`,
      });
      expect(await refusal(other.request('shutdown', {}))).toMatchObject({ code: 'forbidden' });
    }
    expect(shutdowns).toBe(0);
  });

  it('serves the cockpit its status', async () => {
    const cockpit = await connectAs('cockpit');
    expect(await cockpit.request('status', {})).toEqual({ node: info, sessions: [], decisions: [], workers: [] });
    expect(await cockpit.request('watch', {})).toEqual({ node: info, sessions: [], decisions: [], workers: [] });
  });
});
