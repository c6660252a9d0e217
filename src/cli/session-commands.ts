/** `agency run`, `status`, `watch`, `send`, `pause`, `resume`, `stop`: sessions on the local node. */
import { resolve } from 'node:path';
import type { SessionSummary } from '../protocol/messages.js';
import { safeLine } from '../terminal/index.js';
import { snapshotText, sessionLine } from './format.js';
import { EXIT, printJson, safeJson, say, UserError } from './output.js';
import { withCockpit } from './with-cockpit.js';

export async function run(task: string, o: { discipline?: string; repo?: string; model?: string; registry?: string; json?: boolean }): Promise<void> {
  if (task.trim() === '') throw new UserError('the task is empty', EXIT.usage);
  const s = await withCockpit({ start: true }, (c) => c.request('run', {
    task, repo: resolve(o.repo ?? process.cwd()),
    ...(o.discipline ? { discipline: o.discipline } : {}), ...(o.model ? { model: o.model } : {}),
    ...(o.registry ? { registry: resolve(o.registry) } : {}),
  }));
  if (o.json) printJson({ session: s.id, node: s.node, discipline: s.discipline, worktree: s.worktree, branch: s.branch, state: s.state });
  else say(s.id);
}

export async function status(o: { json?: boolean }): Promise<void> {
  const snap = await withCockpit({ start: true }, (c) => c.status());
  if (o.json) printJson(snap);
  else say(snapshotText(snap));
}

/** NDJSON: the whole state first, then one line per change, until interrupted or the node goes away. */
export async function watch(o: { json?: boolean }): Promise<void> {
  await withCockpit({ start: true }, async (c) => {
    const out = (v: unknown) => process.stdout.write(`${safeJson(v)}\n`);
    const closed = new Promise<void>((r) => c.onClose(() => r()));
    const snap = await c.watch((e) => (o.json ? out(e) : e.kind === 'session' ? say(sessionLine(e.session)) : undefined));
    if (o.json) out({ kind: 'snapshot', snapshot: snap });
    else say(snapshotText(snap));
    await closed;
    throw new UserError('the node went away');
  });
}

type Control = 'pause' | 'resume' | 'stop';

export async function control(op: Control, session: string | undefined, o: { all?: boolean; json?: boolean }): Promise<void> {
  if (!session && !o.all) throw new UserError(`give a session id, or --all`, EXIT.usage);
  const done = await withCockpit({}, async (c) => {
    const ids = o.all
      ? (await c.status()).sessions.filter((s) => (op === 'resume' ? s.state === 'paused' : !['exited', 'failed'].includes(s.state))).map((s) => s.id)
      : [session!];
    const out: SessionSummary[] = [];
    for (const id of ids) out.push(await c.request(op, { session: id }));
    return out;
  });
  if (o.json) printJson(o.all ? { sessions: done } : done[0]);
  else for (const s of done) say(`${s.id} ${s.state}`);
}

export async function interrupt(session: string, o: { json?: boolean }): Promise<void> {
  const s = await withCockpit({}, (c) => c.request('interrupt', { session }));
  if (o.json) printJson(s);
  else say(`${s.id} interrupted`);
}

export async function send(session: string, text: string, o: { json?: boolean }): Promise<void> {
  const s = await withCockpit({}, (c) => c.request('send', { session, text }));
  if (o.json) printJson(s);
}

export async function stopNode(): Promise<void> {
  await withCockpit({}, async (c) => {
    const closed = new Promise<void>((r) => c.onClose(() => r()));
    await c.request('shutdown', {});
    await closed;
  });
  say('node stopped');
}

export async function screen(session: string, o: { json?: boolean }): Promise<void> {
  const view = await withCockpit({}, (c) => c.request('screen', { session }));
  if (o.json) printJson(view);
  else say(view.lines.map((l) => safeLine(l)).join('\n').replace(/\n+$/, ''));
}
