/**
 * What a worker's `claude -p --output-format stream-json --verbose` prints, read one line at a time: what it
 * is doing now (activity), a plain-text log of what it said and which tools it called, its usage so far, and
 * its `result` event. Every event is checked against a schema before use; text that leaves here is plain,
 * one line, without control characters. Nothing grows with the length of the run but what the caller keeps.
 *
 * Shapes (claude-code-facts.md §7.1): one `assistant` event per content block, the blocks of one API response
 * sharing `message.id` and its usage (so usage is counted once per id, each field the largest seen);
 * `system` events (`init`, `api_retry`, hooks); `user` events with tool results; one `result` at the end.
 */
import { z } from 'zod';
import type { Usage } from '../protocol/messages.js';
import { stripUnsafe } from '../protocol/safe-text.js';
import { oneLine } from './views.js';

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  /** the part of cacheCreationTokens written with a 1-hour lifetime, when the API said */
  cacheCreation1hTokens?: number;
}
/** The cost in USD of tokens of a model, or null when no price is known for it (the node's price table). */
export type PriceOf = (model: string, tokens: TokenCounts) => number | null;

/** What the `result` event said. */
export interface ResultSeen {
  /** its text, control characters removed but line breaks and tabs kept */
  text: string | null;
  isError: boolean;
  /** one line, when it is an error: the API's status and message, or the run's errors */
  reason: string | null;
  usage: Usage;
}

export interface EventSink {
  activity(line: string): void;
  output(line: string): void;
  usage(u: Usage): void;
  /** what one response (or a later event of it) added, and its model: a turn of the worker's */
  turn?(model: string, added: TokenCounts): void;
  /**
   * The API rate-limited the run (429): while Claude Code retries (with the wait the API asked for in its
   * retry-after, when it named one) and when the run ends on it (the last wait named, if any); null: none known.
   */
  rateLimited?(retryMs: number | null): void;
}

/** The longest retry time passed on (an hour): a larger one is taken as this. */
export const MAX_RETRY_MS = 3_600_000;

/** Longest line of the output log and of an activity. */
export const OUTPUT_LINE_CHARS = 500;
const ACTIVITY_CHARS = 200;
/** responses and tool calls remembered (to count a response once, to name a failed tool): the recent ones */
const RECENT = 64;
/** Claude Code's own messages (API errors, interruptions): never billed */
const NOT_BILLED = '<synthetic>';

const Count = z.number().finite().nonnegative().catch(0);
const Text = z.string().catch('');
const ApiUsage = z
  .object({
    input_tokens: Count,
    output_tokens: Count,
    cache_creation_input_tokens: Count,
    cache_read_input_tokens: Count,
    cache_creation: z.object({ ephemeral_1h_input_tokens: Count }).nullable().optional().catch(undefined),
  })
  .nullable()
  .catch(null);
const Block = z.object({
  type: Text,
  text: Text,
  id: Text,
  name: Text,
  input: z.record(z.string(), z.unknown()).catch({}),
  tool_use_id: Text,
  is_error: z.boolean().catch(false),
  content: z.unknown().optional(),
});
const Content = z.array(Block.nullable().catch(null)).catch([]);
const Assistant = z.object({
  parent_tool_use_id: z.string().nullable().catch(null),
  message: z.object({ id: Text, model: Text, content: Content, usage: ApiUsage }),
});
const User = z.object({
  parent_tool_use_id: z.string().nullable().catch(null),
  message: z.object({ content: z.union([z.string(), Content]).catch([]) }),
});
const System = z.object({
  subtype: Text,
  model: Text,
  attempt: Count,
  max_retries: Count,
  retry_delay_ms: Count,
  error_status: z.number().nullable().catch(null),
  error: Text,
});
const ModelUsage = z.object({
  inputTokens: Count,
  outputTokens: Count,
  cacheReadInputTokens: Count,
  cacheCreationInputTokens: Count,
});
const Result = z.object({
  subtype: Text,
  is_error: z.boolean().catch(true),
  result: z.string().nullable().catch(null),
  api_error_status: z.number().nullable().catch(null),
  errors: z.array(z.string().catch('')).catch([]),
  total_cost_usd: Count,
  usage: ApiUsage,
  modelUsage: z
    .record(
      z.string(),
      ModelUsage.catch({ inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 }),
    )
    .catch({}),
});

function zeroTokens(): TokenCounts {
  return { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 };
}
const FIELDS = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'] as const;
const total = (t: TokenCounts) => FIELDS.reduce((n, f) => n + t[f], 0);

function tokensOf(u: z.infer<typeof ApiUsage>): TokenCounts {
  if (!u) return zeroTokens();
  return {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheCreationTokens: u.cache_creation_input_tokens,
    cacheReadTokens: u.cache_read_input_tokens,
    ...(u.cache_creation ? { cacheCreation1hTokens: u.cache_creation.ephemeral_1h_input_tokens } : {}),
  };
}

/** A Map that forgets its oldest entries past `max`. */
class Recent<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(k: string, v: V): this {
    super.delete(k);
    super.set(k, v);
    while (this.size > this.max) this.delete(this.keys().next().value!);
    return this;
  }
}

/** What a tool call is about, in a few words: `Read src/a.ts`, `Bash: npm test`. */
export function describeTool(name: string, input: Record<string, unknown>, cwd: string): string {
  const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : '');
  const rel = (p: string) => (p.startsWith(cwd + '/') ? p.slice(cwd.length + 1) : p);
  const file = str('file_path') || str('notebook_path');
  let what: string;
  if (file) what = `${name} ${rel(file)}`;
  else if (name === 'Bash') what = `Bash: ${str('command')}`;
  else if (str('pattern')) what = `${name} ${str('pattern')}${str('path') ? ` in ${rel(str('path'))}` : ''}`;
  else if (str('url')) what = `${name} ${str('url')}`;
  else if (str('query')) what = `${name} ${str('query')}`;
  else if (str('description')) what = `${name}: ${str('description')}`;
  else what = name;
  return oneLine(what, ACTIVITY_CHARS);
}

/** Reads one worker's events. An activity is told after the lines it added to the log. */
export class ClaudeEvents {
  result: ResultSeen | null = null;
  /** per model, tokens of the responses seen */
  private readonly byModel = new Map<string, TokenCounts>();
  private readonly responses = new Recent<{ model: string; tokens: TokenCounts }>(RECENT);
  private readonly tools = new Recent<string>(RECENT);
  private anonymous = 0;
  /** the last wait the API named for a 429 (its retry-after, as Claude Code waits it) */
  private namedWait: number | null = null;

  constructor(
    private readonly cwd: string,
    private readonly sink: EventSink,
    private readonly price?: PriceOf,
  ) {}

  /** One line of stdout. */
  line(text: string): void {
    if (!text.trim()) return;
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      this.sink.output(oneLine(`(not an event) ${text}`, OUTPUT_LINE_CHARS));
      return;
    }
    const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
    if (type === 'assistant') this.assistant(Assistant.safeParse(event).data);
    else if (type === 'user') this.user(User.safeParse(event).data);
    else if (type === 'system') this.system(System.safeParse(event).data);
    else if (type === 'result') this.onResult(Result.safeParse(event).data);
  }

  /** Usage of the responses seen so far. */
  usage(): Usage {
    const out: Usage = { ...zeroTokens(), costUsd: 0, unpricedModels: [] };
    for (const [model, tokens] of [...this.byModel].sort(([a], [b]) => a.localeCompare(b))) {
      for (const f of FIELDS) out[f] += tokens[f];
      const cost = this.price?.(model, tokens) ?? null;
      if (cost !== null) out.costUsd += cost;
      else if (total(tokens) > 0) out.unpricedModels.push(model);
    }
    return out;
  }

  /**
   * The run's usage: the result event's (every model, priced by Claude Code) unless it counts fewer tokens
   * than the responses seen (a run interrupted before its totals were kept), else the responses'.
   */
  finalUsage(): Usage {
    const seen = this.usage();
    const r = this.result?.usage;
    return r && total(r) >= total(seen) ? r : seen;
  }

  private assistant(e: z.infer<typeof Assistant> | undefined): void {
    if (!e) return;
    const prefix = e.parent_tool_use_id ? '(agent) ' : '';
    for (const b of e.message.content) {
      if (!b) continue;
      if (b.type === 'text' && b.text.trim()) {
        for (const l of b.text.split('\n')) if (l.trim()) this.sink.output(oneLine(prefix + l, OUTPUT_LINE_CHARS));
        this.sink.activity(`${prefix}writing`);
      } else if (b.type === 'thinking') {
        this.sink.activity(`${prefix}thinking`);
      } else if (b.type === 'tool_use') {
        const what = describeTool(b.name || 'a tool', b.input, this.cwd);
        if (b.id) this.tools.set(b.id, b.name);
        this.sink.output(oneLine(`${prefix}→ ${what}`, OUTPUT_LINE_CHARS));
        this.sink.activity(prefix + what);
      }
    }
    this.count(e.message.id, e.message.model, tokensOf(e.message.usage));
  }

  private count(id: string, model: string, tokens: TokenCounts): void {
    if (model === NOT_BILLED || total(tokens) === 0) return;
    const key = id || `\u0000anonymous-${++this.anonymous}`;
    const prev = this.responses.get(key);
    const sums = this.byModel.get(prev?.model ?? model) ?? zeroTokens();
    let changed = false;
    const added = zeroTokens();
    for (const f of FIELDS) {
      const next = Math.max(prev?.tokens[f] ?? 0, tokens[f]);
      const grew = next - (prev?.tokens[f] ?? 0);
      if (grew > 0) changed = true;
      sums[f] += grew;
      added[f] = grew;
      if (prev) prev.tokens[f] = next;
    }
    if (tokens.cacheCreation1hTokens !== undefined) {
      // the 1-hour share of what it added, as the API told it (priced at its own rate)
      const was = prev?.tokens.cacheCreation1hTokens ?? 0;
      added.cacheCreation1hTokens = Math.min(
        added.cacheCreationTokens,
        Math.max(0, tokens.cacheCreation1hTokens - was),
      );
      if (prev) prev.tokens.cacheCreation1hTokens = Math.max(was, tokens.cacheCreation1hTokens);
    }
    this.byModel.set(prev?.model ?? model, sums);
    if (!prev) this.responses.set(key, { model, tokens: { ...tokens } });
    if (changed) {
      this.sink.turn?.(prev?.model ?? model, added);
      this.sink.usage(this.usage());
    }
  }

  private user(e: z.infer<typeof User> | undefined): void {
    if (!e || typeof e.message.content === 'string') return;
    const prefix = e.parent_tool_use_id ? '(agent) ' : '';
    for (const b of e.message.content) {
      if (!b || b.type !== 'tool_result' || !b.is_error) continue;
      const tool = this.tools.get(b.tool_use_id) ?? 'a tool';
      const first =
        resultText(b.content)
          .split('\n')
          .find((l) => l.trim()) ?? '';
      this.sink.output(oneLine(`${prefix}✗ ${tool}: ${first}`, OUTPUT_LINE_CHARS));
    }
  }

  private system(e: z.infer<typeof System> | undefined): void {
    if (!e) return;
    if (e.subtype === 'init') {
      const line = oneLine(`started (${e.model || 'model unknown'})`, ACTIVITY_CHARS);
      this.sink.output(line);
      this.sink.activity(line);
    } else if (e.subtype === 'api_retry') {
      const status = e.error_status === null ? '' : ` ${e.error_status}`;
      const line = oneLine(
        `API error${status} (${e.error || 'unknown'}), retry ${e.attempt}/${e.max_retries}`,
        ACTIVITY_CHARS,
      );
      this.sink.output(line);
      this.sink.activity(line);
      if (e.error_status === 429) {
        // a retry-after is whole seconds; Claude Code's own backoff (when the API named none) is not
        const named =
          e.retry_delay_ms > 0 && e.retry_delay_ms % 1000 === 0 ? Math.min(e.retry_delay_ms, MAX_RETRY_MS) : null;
        if (named !== null) this.namedWait = named;
        this.sink.rateLimited?.(named);
      }
    }
  }

  /**
   * The run's totals per model, as the result event gives them: what they hold beyond the responses seen (a
   * response's final output tokens, which its assistant events do not carry; calls of its own) is a turn too.
   */
  private settle(models: Record<string, z.infer<typeof ModelUsage>>): void {
    if (!this.sink.turn) return;
    for (const [model, m] of Object.entries(models)) {
      if (model === NOT_BILLED) continue;
      const seen = this.byModel.get(model) ?? zeroTokens();
      const final: TokenCounts = {
        inputTokens: m.inputTokens,
        outputTokens: m.outputTokens,
        cacheCreationTokens: m.cacheCreationInputTokens,
        cacheReadTokens: m.cacheReadInputTokens,
      };
      const added = zeroTokens();
      for (const f of FIELDS) added[f] = Math.max(0, final[f] - seen[f]);
      if (total(added) === 0) continue;
      for (const f of FIELDS) seen[f] += added[f];
      this.byModel.set(model, seen);
      this.sink.turn(model, added);
    }
  }

  private onResult(e: z.infer<typeof Result> | undefined): void {
    if (!e) return;
    const text = e.result === null ? null : stripUnsafe(e.result.replace(/\r\n?/g, '\n'), 'layout');
    let reason: string | null = null;
    if (e.is_error) {
      const detail = e.errors.filter((x) => x.trim()).join('; ') || text || 'no message';
      reason = oneLine(
        e.api_error_status !== null
          ? `API error ${e.api_error_status}: ${detail}`
          : `${e.subtype || 'error'}: ${detail}`,
        300,
      );
    }
    if (e.is_error && e.api_error_status === 429) this.sink.rateLimited?.(this.namedWait);
    const models = Object.values(e.modelUsage);
    const tokens = models.length
      ? models.reduce<TokenCounts>(
          (t, m) => ({
            inputTokens: t.inputTokens + m.inputTokens,
            outputTokens: t.outputTokens + m.outputTokens,
            cacheCreationTokens: t.cacheCreationTokens + m.cacheCreationInputTokens,
            cacheReadTokens: t.cacheReadTokens + m.cacheReadInputTokens,
          }),
          zeroTokens(),
        )
      : tokensOf(e.usage);
    this.settle(e.modelUsage);
    this.result = {
      text,
      isError: e.is_error,
      reason,
      usage: { ...tokens, costUsd: e.total_cost_usd, unpricedModels: [] },
    };
    this.sink.output(oneLine(e.is_error ? `failed: ${reason}` : `finished: ${text ?? ''}`, OUTPUT_LINE_CHARS));
    this.sink.activity(e.is_error ? 'failed' : 'finished');
  }
}

/** A tool result's content as text (a string, or text blocks). */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b: unknown) => {
      const t = typeof b === 'object' && b !== null ? (b as { text?: unknown }).text : undefined;
      return typeof t === 'string' ? t : '';
    })
    .join('\n');
}
