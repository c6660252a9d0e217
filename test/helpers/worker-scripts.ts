/**
 * Scripts for a session that fans out to workers, and for the workers, against one scripted Messages API.
 * The session (the manager) reacts to what its tools answered: spawn, then wait, then merge (again after a
 * conflict went to a resolver), then an end. A worker writes its result file (found in its prompt) ending in
 * DONE and answers one sentence; a resolver writes the conflicted file as the test wants it; a coordinator
 * answers a short summary.
 */
import type { Reply, Scenario, Step, StepContext } from '../fixtures/messages-api.js';

export interface WorkerSpec {
  id: string;
  prompt: string;
  model?: 'haiku' | 'sonnet' | 'opus';
  write?: boolean;
  group?: string;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The conversation's last tool call (name) and what it returned (text), if its last message is a tool result. */
export function lastToolExchange(ctx: StepContext): { tool: string; result: string; isError: boolean } | null {
  const messages = (
    isObj(ctx.request.body) && Array.isArray(ctx.request.body.messages) ? ctx.request.body.messages : []
  ) as unknown[];
  const last = messages.at(-1);
  const before = messages.at(-2);
  if (!isObj(last) || last.role !== 'user' || !Array.isArray(last.content)) return null;
  const result = last.content.find((b) => isObj(b) && b.type === 'tool_result') as Obj | undefined;
  if (!result || !isObj(before) || !Array.isArray(before.content)) return null;
  const use = before.content.find((b) => isObj(b) && b.type === 'tool_use' && b.id === result.tool_use_id) as
    Obj | undefined;
  const content = result.content;
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content.map((b) => (isObj(b) && typeof b.text === 'string' ? b.text : '')).join('')
        : '';
  return { tool: String(use?.name ?? ''), result: text, isError: result.is_error === true };
}

/** A script whose every step is f: for conversations that react to what they see rather than count turns. */
export const reacting = (f: (ctx: StepContext) => Reply): Step[] =>
  new Proxy([], {
    get: (t, k) =>
      k === 'length' ? Number.MAX_SAFE_INTEGER : typeof k === 'string' && /^\d+$/.test(k) ? f : Reflect.get(t, k),
  });

export const TOOL = {
  spawn: 'mcp__agency__spawn_workers',
  wait: 'mcp__agency__wait_workers',
  status: 'mcp__agency__worker_status',
  merge: 'mcp__agency__merge_workers',
};

/**
 * The manager: spawns `workers` (coordinated or not), waits until all have ended, merges when any writes
 * (again while a merge sent conflicts back), then ends with "all merged". Every tool answer is kept in `seen`.
 */
export function managerScript(o: {
  workers: WorkerSpec[];
  coordinate?: boolean;
  seen?: { tool: string; result: string }[];
}): (ctx: StepContext) => Reply {
  const writes = o.workers.some((w) => w.write);
  let run = '';
  return (ctx) => {
    const last = lastToolExchange(ctx);
    if (last) o.seen?.push({ tool: last.tool, result: last.result });
    // Claude Code connects MCP servers while the session starts: the first request may come before the
    // agency server's tools are listed, and then the manager looks around first, as a model would
    if (!hasTool(ctx, TOOL.spawn)) return { tool: 'Read', input: { file_path: `${ctx.cwd ?? '.'}/README.md` } };
    if (!last || last.tool === 'Read') {
      // resumed after its node restarted: it waits on the run it spawned before
      run ||= spawnedRun(ctx) ?? '';
      if (run) return { tool: TOOL.wait, input: { run, timeout_s: 600 } };
      return { tool: TOOL.spawn, input: { workers: o.workers, ...(o.coordinate ? { coordinate: true } : {}) } };
    }
    if (last.isError && last.tool === TOOL.wait && (run ||= spawnedRun(ctx) ?? ''))
      return { tool: TOOL.wait, input: { run, timeout_s: 600 } };
    if (last.isError) return { text: `the tool failed: ${last.result}` };
    const answer = JSON.parse(last.result) as Obj;
    if (last.tool === TOOL.spawn) run = String(answer.run);
    if (last.tool === TOOL.spawn || (last.tool === TOOL.wait && Number(answer.pending) > 0))
      return { tool: TOOL.wait, input: { run, timeout_s: 600 } };
    if (last.tool === TOOL.wait)
      return writes ? { tool: TOOL.merge, input: { run } } : { text: 'all workers reported' };
    if (last.tool === TOOL.merge && Array.isArray(answer.conflicts) && answer.conflicts.length > 0)
      return { tool: TOOL.wait, input: { run, timeout_s: 600 } };
    return { text: 'all merged' };
  };
}

/** Whether the request offers the model this tool. */
function hasTool(ctx: StepContext, name: string): boolean {
  const tools = isObj(ctx.request.body) && Array.isArray(ctx.request.body.tools) ? ctx.request.body.tools : [];
  return tools.some((t) => isObj(t) && t.name === name);
}

/** The run a spawn earlier in the conversation answered with. */
function spawnedRun(ctx: StepContext): string | null {
  const m = /\\?"run\\?":\\?"(r-[0-9a-f]+)/.exec(JSON.stringify(ctx.request.body?.messages ?? []));
  return m ? m[1]! : null;
}

/** The absolute result file a worker's prompt names. */
export function resultFileOf(prompt: string): string | null {
  return /(\/\S+\/\.context\/result\.md)/.exec(prompt)?.[1] ?? null;
}

/** The worker's name in its prompt (`You are worker "<name>"`). */
export function workerNameOf(prompt: string): string | null {
  return /You are worker "([^"]+)"/.exec(prompt)?.[1] ?? null;
}

/**
 * Workers' conversations: `files(name)` gives the files a worker writes (besides its result) and their
 * contents; its result file holds `RAW-<name>` findings (which must never reach the manager) and DONE.
 */
export function workerRoute(o: {
  files?: (name: string, prompt: string) => Record<string, string>;
  raw?: (name: string) => string;
}): (ctx: StepContext) => Step[] | null {
  return (ctx) => {
    if (/Sum up|at most 300 words/.test(ctx.prompt) && !workerNameOf(ctx.prompt))
      return [
        { text: `Summary: the group's workers each reported their findings; ${ctx.prompt.length} characters read.` },
      ];
    const name = workerNameOf(ctx.prompt);
    const result = resultFileOf(ctx.prompt);
    if (!name || !result) return null;
    const cwd = result.replace(/\/\.context\/result\.md$/, '');
    const files = o.files?.(name, ctx.prompt) ?? {};
    // Claude Code writes over a file only after reading it: each is read first (a new one's read fails, and that is fine)
    const writes = Object.entries(files).flatMap(([path, content]) => [
      { tool: 'Read', input: { file_path: `${cwd}/${path}` } },
      { tool: 'Write', input: { file_path: `${cwd}/${path}`, content } },
    ]);

    const raw = o.raw?.(name) ?? `RAW-${name} ${'finding '.repeat(200)}`;
    return [
      ...writes,
      { tool: 'Write', input: { file_path: result, content: `${raw}\nDONE\n` } },
      { text: `Worker ${name} finished its part.` },
    ];
  };
}

export function scenario(
  manager: (ctx: StepContext) => Reply,
  route: (ctx: StepContext) => Step[] | null,
  extra: Partial<Scenario> = {},
): Scenario {
  return {
    steps: [],
    route: (ctx) => route(ctx) ?? (ctx.request.kind === 'main' ? reacting(manager) : null),
    ...extra,
  };
}
