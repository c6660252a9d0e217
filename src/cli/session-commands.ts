/** `agency run`, `status`, `watch`, `send`, `screen`, `interrupt`, `pause`, `resume`, `stop`: sessions across the fleet. */
import { resolve } from 'node:path';
import { isLive, type OpArgs, type SessionSummary } from '../protocol/messages.js';
import { taskProblem } from '../protocol/ops.js';
import { parseAmount, SPLIT_BUDGET } from '../protocol/economics.js';
import { safeLine } from '../terminal/index.js';
import { fleetText, sessionLine } from './format.js';
import { statusDocument } from './status-json.js';
import { workerLine } from './worker-commands.js';
import { EXIT, printJson, printJsonLine, say, UserError, warn } from './output.js';
import { runFrom, startFrom } from './repo-source.js';
import { loadOrgTriage } from './org-triage.js';
import { placeRun } from './run-place.js';
import { olderAgentHint } from './older-agent.js';
import type { Cockpit } from '../cockpit/client.js';
import { keyAdvice, runDetails } from './run-advice.js';
import { nodesOf, withCockpit } from './with-cockpit.js';

export async function run(
  task: string,
  o: {
    discipline?: string;
    node?: string;
    repo?: string;
    model?: string;
    budget?: string;
    registry?: string;
    split?: boolean;
    json?: boolean;
  },
): Promise<void> {
  // before any node is asked: no worktree or branch is made for a task claude could not be given
  const problem = taskProblem(task);
  if (problem) throw new UserError(problem, EXIT.usage);
  const budget = o.budget === undefined ? undefined : parseAmount(o.budget);
  if (budget && 'problem' in budget) throw new UserError(`--budget: ${budget.problem}`, EXIT.usage);
  if (o.split && o.budget !== undefined) throw new UserError(`--budget with --split: ${SPLIT_BUDGET}`, EXIT.usage);
  if (o.split && o.discipline)
    throw new UserError('--split lets the node choose a discipline for each part: leave out --discipline', EXIT.usage);
  const remote = o.node !== undefined && o.node !== 'local';
  // an organisation places a task that names no node (and no registry of its own) on its VP's node
  const triage = o.node === undefined && o.registry === undefined ? loadOrgTriage() : null;
  const started = await withCockpit({ start: true, ...(o.node ? { nodes: [o.node] } : {}) }, async (c) => {
    // the node checks the rest (claude, a key or login, the repository, git's identity) before it makes anything
    const advice = keyAdvice(
      c.links.map((l) => l.status()),
      o.node,
    );
    if (advice?.refuse) throw new UserError(advice.message);
    if (advice) warn(`agency: ${advice.message}`);
    const place = await placeRun(c, triage, task, o.split ? undefined : o.discipline);
    const where = { ...o, ...(place.node ? { node: place.node } : {}) };
    const args = {
      task,
      ...(o.model ? { model: o.model } : {}),
      ...(budget ? { budget } : {}),
      ...(o.registry ? { registry: remote ? o.registry : resolve(o.registry) } : {}),
    };
    // the repository: a URL as it is, the operator's own sent to a remote node over the link (repo-source.ts)
    if (o.split) return startFrom(c, where, (node, repo) => runSplitOn(c, node, { ...args, ...repo }));
    const s = await runFrom(c, where, {
      ...args,
      ...(place.discipline ? { discipline: place.discipline } : {}),
      ...(place.vp ? { vp: place.vp } : {}),
    }).catch((e: Error) => {
      const hint = place.node ? olderAgentHint(place.node, e) : null;
      throw hint ? new UserError(hint) : e;
    });
    return [{ ...s, vp: s.vp ?? place.vp ?? null }];
  });
  if (o.split) {
    if (o.json) printJson({ sessions: started.map(runJson) });
    else for (const s of started) say(s.id);
    return;
  }
  const s = started[0]!;
  if (o.json) printJson(runJson(s));
  else {
    // the id alone on stdout, as `id=$(agency run …)` takes it; the rest is for the operator's eyes
    say(s.id);
    for (const line of runDetails(s)) warn(line);
  }
}

/** A started session as `run --json` prints it. */
function runJson(s: SessionSummary) {
  return {
    session: s.id,
    node: s.node,
    discipline: s.discipline,
    vp: s.vp ?? null,
    worktree: s.worktree,
    branch: s.branch,
    state: s.state,
    budget: s.budget ?? null,
  };
}

/** The node's split of a task into sessions, one per discipline; an agent from before it is told to upgrade. */
async function runSplitOn(c: Cockpit, node: string, args: OpArgs['run-split']): Promise<SessionSummary[]> {
  const r = await c.requestOn(node, 'run-split', args).catch((e: Error & { code?: string }) => {
    if (e.code === 'bad-request' && /unknown operation/.test(e.message))
      throw new UserError(
        `node ${node} runs an older agency agent, which cannot split a task; run agency push --node ${node}`,
      );
    throw e;
  });
  return r.sessions;
}

export async function status(o: { json?: boolean }): Promise<void> {
  const snap = await withCockpit({ start: true }, (c) => c.status());
  if (o.json) printJson(statusDocument(snap));
  else say(fleetText(snap));
}

/**
 * NDJSON: the whole state first (`snapshot`, as status prints it), then one line per change (`session`,
 * `decision`, `worker`, `node`),
 * each with the time it was seen (`at`), until interrupted. What the snapshot already said is not repeated.
 */
export async function watch(o: { json?: boolean }): Promise<void> {
  await withCockpit({ start: true, live: true }, async (c) => {
    const at = () => new Date().toISOString();
    const snap = await c.status();
    if (o.json) printJsonLine({ kind: 'snapshot', at: at(), snapshot: statusDocument(snap) });
    else say(fleetText(snap));
    c.watch(
      (e) => {
        if (o.json) {
          const { kind, ...what } = e;
          printJsonLine({ kind, at: at(), ...what });
        } else if (e.kind === 'session') say(sessionLine(e.session));
        else if (e.kind === 'worker')
          say(`${safeLine(e.worker.node)}/${safeLine(e.worker.session)} ${workerLine(e.worker)}`);
        else if (e.kind === 'node')
          say(`node ${e.node.name} ${e.node.state}${e.node.error ? `: ${safeLine(e.node.error)}` : ''}`);
      },
      { after: snap },
    );
    await new Promise<never>(() => undefined);
  });
}

type Control = 'pause' | 'resume' | 'stop';

export async function control(
  op: Control,
  session: string | undefined,
  o: { all?: boolean; json?: boolean },
): Promise<void> {
  if (!session && !o.all) throw new UserError('give a session id, or --all', EXIT.usage);
  if (session && o.all)
    throw new UserError(`give a session id or --all, not both (${op} ${JSON.stringify(session)} --all)`, EXIT.usage);
  const done = await withCockpit(o.all ? {} : nodesOf(session), async (c) => {
    const targets = o.all
      ? (await c.status()).sessions.filter((s) => (op === 'resume' ? s.state === 'paused' : isLive(s)))
      : [await c.findSession(session!)];
    const out: SessionSummary[] = [];
    for (const s of targets) out.push(await c.requestOn(s.node, op, { session: s.id }));
    return out;
  });
  if (o.json) printJson(o.all ? { sessions: done } : done[0]!);
  else if (o.all && done.length === 0) say(`no sessions to ${op}`);
  else for (const s of done) say(`${s.node}/${s.id} ${s.state}`);
}

export async function interrupt(session: string, o: { json?: boolean }): Promise<void> {
  const s = await withCockpit(nodesOf(session), async (c) => {
    const found = await c.findSession(session);
    return c.requestOn(found.node, 'interrupt', { session: found.id });
  });
  if (o.json) printJson(s);
  else say(`${s.id} interrupted`);
}

export async function send(session: string, text: string, o: { json?: boolean }): Promise<void> {
  const s = await withCockpit(nodesOf(session), async (c) => {
    const found = await c.findSession(session);
    return c.requestOn(found.node, 'send', { session: found.id, text });
  });
  if (o.json) printJson(s);
}

export async function screen(session: string, o: { json?: boolean }): Promise<void> {
  const view = await withCockpit(nodesOf(session), async (c) => {
    const found = await c.findSession(session);
    return c.requestOn(found.node, 'screen', { session: found.id });
  });
  if (o.json) printJson(view);
  else
    say(
      view.lines
        .map((l) => safeLine(l))
        .join('\n')
        .replace(/\n+$/, ''),
    );
}
