/**
 * One call of a phase, and a phase's calls in parallel: the cache first, then the backend; the answer checked
 * (schema, content, the phase's own rules); one retry with the problems; then a clear failure naming the call.
 * Ids that must be unique across a phase's parallel calls are checked once all have answered: a later call
 * whose ids clash with an earlier one's is sent back with the ids that are taken, if it has not been sent back
 * already (one send-back a call, whatever the reason). At most `parallel` calls are with the backend at once.
 */
import type { z } from 'zod';
import type { Backend, Tokens, Turn } from './backend.js';
import { type AnswerCache, cacheKey } from './cache.js';
import { clashProblems, contentProblems, schemaProblems } from './checks.js';
import { GenesisError } from './errors.js';

export interface CallSpec<T> {
  phase: 'org' | 'disciplines' | 'agents';
  /** names the call in errors and progress: "phase 2 (disciplines) of VP risk" */
  label: string;
  prompt: string;
  schema: z.ZodType<T>;
  jsonSchema: Record<string, unknown>;
  /** the phase's own rules: duplicates, clashes with the base registry */
  check(value: T): string[];
}

export interface CallStats {
  /** calls made to the backend, retries included */
  made: number;
  /** calls answered from the cache */
  cached: number;
  /** answers sent back with their problems */
  retried: number;
  tokens: Tokens;
  /** the time the backend's calls took, added up */
  callMs: number;
}

export interface CallContext {
  backend: Backend;
  model: string;
  cache: AnswerCache;
  secrets: readonly string[];
  stats: CallStats;
  progress(line: string): void;
  /** runs a backend call when one of the pool's slots is free */
  slot: <T>(f: () => Promise<T>) => Promise<T>;
}

/** A pool of n slots: at most n of the functions given run at once, the rest wait their turn in order. */
export function pool(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(f: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((go) => waiting.push(go));
    else running += 1;
    try {
      return await f();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

export const newStats = (): CallStats => ({
  made: 0,
  cached: 0,
  retried: 0,
  tokens: { input: 0, output: 0 },
  callMs: 0,
});

interface Answered<T> {
  value: T;
  /** sends this answer back; null when it came from the cache or was sent back already */
  retry: ((problems: string[]) => Promise<Turn>) | null;
  /** the call has had its one send-back */
  sentBack: boolean;
}

function problemsOf<T>(spec: CallSpec<T>, ctx: CallContext, raw: unknown, extra: (v: T) => string[]) {
  const parsed = schemaProblems(spec.schema, raw);
  const content = contentProblems(raw, ctx.secrets);
  if (parsed.value === null) return { value: null, problems: [...parsed.problems, ...content] };
  return { value: parsed.value, problems: [...content, ...spec.check(parsed.value), ...extra(parsed.value)] };
}

async function timed(ctx: CallContext, f: () => Promise<Turn>): Promise<Turn> {
  const { turn, ms } = await ctx.slot(async () => {
    const t0 = performance.now();
    return { turn: await f(), ms: performance.now() - t0 };
  });
  ctx.stats.made += 1;
  ctx.stats.callMs += ms;
  ctx.stats.tokens.input += turn.tokens.input;
  ctx.stats.tokens.output += turn.tokens.output;
  return turn;
}

/** Checks a turn; sends it back once if it has problems; fails naming the call and the problems. */
async function settle<T>(
  spec: CallSpec<T>,
  ctx: CallContext,
  first: Turn,
  extra: (v: T) => string[],
  sentBack: boolean,
): Promise<Answered<T>> {
  let turn = first;
  let r = turn.notJson ? { value: null, problems: [turn.notJson] } : problemsOf(spec, ctx, turn.value, extra);
  if (r.problems.length > 0 && !sentBack) {
    ctx.progress(`${spec.label}: the answer has ${r.problems.length} problem(s); sending it back once`);
    ctx.stats.retried += 1;
    turn = await timed(ctx, () => turn.retry(r.problems));
    sentBack = true;
    r = turn.notJson ? { value: null, problems: [turn.notJson] } : problemsOf(spec, ctx, turn.value, extra);
  }
  if (r.problems.length > 0 || r.value === null)
    throw new GenesisError(
      `${spec.label}: the model's answer did not validate${sentBack ? ', even after it was sent back with the problems' : ''}:\n${r.problems.map((p) => `  - ${p}`).join('\n')}\nNothing was written. Run again (answers that validated are cached), or try another --model.`,
    );
  ctx.cache.put(cacheKey(spec.phase, ctx.model, spec.prompt, spec.jsonSchema), r.value);
  const done = turn;
  return { value: r.value as T, retry: sentBack ? null : (p) => timed(ctx, () => done.retry(p)), sentBack };
}

/** One call: from the cache when a valid answer is there, else from the backend. */
export async function ask<T>(
  spec: CallSpec<T>,
  ctx: CallContext,
  extra: (v: T) => string[] = () => [],
): Promise<Answered<T>> {
  const cached = ctx.cache.get(cacheKey(spec.phase, ctx.model, spec.prompt, spec.jsonSchema));
  if (cached !== undefined) {
    const r = problemsOf(spec, ctx, cached, extra);
    if (r.value !== null && r.problems.length === 0) {
      ctx.stats.cached += 1;
      return { value: r.value as T, retry: null, sentBack: false };
    }
  }
  const turn = await timed(ctx, () =>
    ctx.backend.call({ name: spec.phase, prompt: spec.prompt, schema: spec.jsonSchema }),
  );
  return settle(spec, ctx, turn, extra, false);
}

/**
 * A phase's calls, in parallel within the pool; `ids` names what each answer claims (kind and ids) that must be
 * unique across the phase. Answers are in the order of the specs.
 */
export async function askAll<T>(
  specs: CallSpec<T>[],
  ctx: CallContext,
  kind: string,
  ids: (v: T) => string[],
): Promise<T[]> {
  const answered = await Promise.all(specs.map((s) => ask(s, ctx)));
  const owner = new Map<string, string>();
  const ownerLabel = new Map<string, string>();
  const clashing: number[] = [];
  answered.forEach((a, i) => {
    const mine = ids(a.value);
    if (mine.some((id) => owner.has(id))) clashing.push(i);
    else
      for (const id of mine) {
        owner.set(id, specs[i]!.label.replace(/^phase \d \(\w+\) of /, ''));
        ownerLabel.set(id, specs[i]!.label);
      }
  });
  if (clashing.length === 0) return answered.map((a) => a.value);
  // the later call gives way, with what is taken: sent back, or asked afresh when its answer came from the cache;
  // a call that has had its send-back already fails
  await Promise.all(
    clashing.map(async (i) => {
      const spec = specs[i]!;
      const extra = (v: T) => clashProblems(kind, ids(v), kind === 'discipline' ? 'disciplines' : 'agents', owner);
      const a = answered[i]!;
      const problems = extra(a.value);
      if (a.sentBack) {
        const id = ids(a.value).find((x) => owner.has(x))!;
        throw new GenesisError(
          `${spec.label}: ${kind} id ${JSON.stringify(id)} is also used by ${ownerLabel.get(id)}, and this call was sent back once already. Nothing was written; run again (answers that validated are cached), or try another --model.`,
        );
      }
      ctx.stats.retried += 1;
      ctx.progress(`${spec.label}: ${problems.length} id(s) taken elsewhere in the organisation; sending it back once`);
      const turn = a.retry
        ? await a.retry(problems)
        : await timed(ctx, () =>
            ctx.backend.call({
              name: spec.phase,
              prompt: `${spec.prompt}\n\nThese ids are taken elsewhere in the organisation; choose others:\n${problems.map((p) => `- ${p}`).join('\n')}`,
              schema: spec.jsonSchema,
            }),
          );
      answered[i] = await settle(spec, ctx, turn, extra, true);
    }),
  );
  // the answers sent back must not clash with each other either
  const seen = new Map<string, string>();
  answered.forEach((a, i) => {
    for (const id of ids(a.value)) {
      const first = seen.get(id);
      if (first)
        throw new GenesisError(
          `${specs[i]!.label}: ${kind} id ${JSON.stringify(id)} is also used by ${first}, even after it was sent back. Nothing was written; run again.`,
        );
      seen.set(id, specs[i]!.label);
    }
  });
  return answered.map((a) => a.value);
}
