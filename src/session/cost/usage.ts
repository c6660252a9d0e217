/**
 * Tokens and cost of a session from its transcript lines (claude-code-facts.md §8), with no I/O.
 *
 * Claude Code writes one API response as one `assistant` line per content block; the lines share
 * `message.id`, `requestId` and `usage`, and an earlier line can hold a smaller, intermediate
 * `output_tokens`. So lines are grouped by response (message id + request id, or the message id alone
 * when a gateway leaves out the request id) and each usage field of a response is the largest seen.
 * Adding the same line twice changes nothing.
 */
import { MODEL_NAME } from '../../protocol/ops.js';
import { costUsd, priceFor, stripContextSuffix, type BillableTokens } from './pricing.js';

/** Token counts of a session or model: what is billed (see pricing.ts). */
export type TokenTotals = BillableTokens;

export interface ModelUsage extends TokenTotals {
  /** distinct API responses */
  messages: number;
  /** null when no price is known for this model */
  costUsd: number | null;
}

export interface Usage extends TokenTotals {
  /** USD of every priced model; incomplete when unpricedModels is not empty */
  costUsd: number;
  /** models with tokens but no known price: their tokens are counted, their cost is not */
  unpricedModels: string[];
  /**
   * keyed by the model id as written in the transcript minus a `[1m]` suffix; a fast-mode response
   * (`usage.speed === "fast"`) is kept apart under `<model> (fast)` since it has its own price
   */
  byModel: Record<string, ModelUsage>;
  /** distinct API responses */
  messages: number;
}

/** Model ids Claude Code gives to messages it makes up itself (API errors, interruptions): never billed. */
const NOT_BILLED = new Set(['<synthetic>']);
const FAST_SUFFIX = ' (fast)';

const FIELDS = [
  'inputTokens',
  'outputTokens',
  'cacheCreationTokens',
  'cacheCreation1hTokens',
  'cacheReadTokens',
  'webSearchRequests',
] as const satisfies readonly (keyof TokenTotals)[];

interface Response extends TokenTotals {
  modelKey: string;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
/** The most one line may count in a field: far above any real response, and sums of it stay finite. */
export const MAX_LINE_COUNT = 100_000_000;
const count = (x: unknown): number =>
  typeof x === 'number' && Number.isFinite(x) && x > 0 ? Math.min(Math.floor(x), MAX_LINE_COUNT) : 0;
/** What a model that is not named as a model is counted under (a transcript may hold anything there). */
export const OTHER_MODEL = '(other)';

export const zeroTotals = (): TokenTotals => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationTokens: 0,
  cacheCreation1hTokens: 0,
  cacheReadTokens: 0,
  webSearchRequests: 0,
});

/** The usage of one assistant line, or null when the line is not a billed API response. */
function readLine(entry: unknown): { key: string | null; response: Response } | null {
  if (!isObj(entry) || entry.type !== 'assistant') return null;
  const message = entry.message;
  if (!isObj(message) || !isObj(message.usage)) return null;
  const usage = message.usage;
  const named = typeof message.model === 'string' && message.model ? stripContextSuffix(message.model) : '(no model)';
  if (NOT_BILLED.has(named)) return null;
  const model = named === '(no model)' || MODEL_NAME.test(named) ? named : OTHER_MODEL;

  const cacheCreation = isObj(usage.cache_creation) ? usage.cache_creation : {};
  const split5m = count(cacheCreation.ephemeral_5m_input_tokens);
  const split1h = count(cacheCreation.ephemeral_1h_input_tokens);
  const creation =
    typeof usage.cache_creation_input_tokens === 'number'
      ? count(usage.cache_creation_input_tokens)
      : split5m + split1h;
  const serverTools = isObj(usage.server_tool_use) ? usage.server_tool_use : {};
  const response: Response = {
    modelKey: usage.speed === 'fast' ? model + FAST_SUFFIX : model,
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheCreationTokens: creation,
    cacheCreation1hTokens: Math.min(split1h, creation),
    cacheReadTokens: count(usage.cache_read_input_tokens),
    webSearchRequests: count(serverTools.web_search_requests),
  };
  const id = typeof message.id === 'string' && message.id ? message.id : null;
  const requestId = typeof entry.requestId === 'string' && entry.requestId ? entry.requestId : null;
  return { key: id === null ? null : requestId === null ? id : `${id}\u0000${requestId}`, response };
}

/** Accumulates transcript lines of one session (main file and subagent files alike) into a Usage. */
export class UsageAccumulator {
  private readonly responses = new Map<string, Response>();
  private readonly models = new Map<string, TokenTotals & { messages: number }>();
  private anonymous = 0;

  /** One JSONL line. Blank, malformed or half-written lines are skipped; returns whether it counted. */
  addLine(line: string): boolean {
    const text = line.trim();
    if (!text) return false;
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch {
      return false;
    }
    return this.addEntry(entry);
  }

  /** One parsed transcript entry; returns whether it was an assistant response with usage. */
  addEntry(entry: unknown): boolean {
    return this.addWithDelta(entry) !== null;
  }

  /**
   * One parsed transcript entry; null when it is not an assistant response with usage, else what it added
   * to the totals (all zero for a line of a response already counted in full) and the model it counts under.
   */
  addWithDelta(entry: unknown): { model: string; delta: TokenTotals } | null {
    const read = readLine(entry);
    if (!read) return null;
    // a response without a message id cannot be matched with its other lines: count each on its own
    const key = read.key ?? `\u0000anonymous-${++this.anonymous}`;
    const prev = this.responses.get(key);
    if (!prev) {
      this.responses.set(key, read.response);
      const totals = this.modelTotals(read.response.modelKey);
      totals.messages += 1;
      const delta = zeroTotals();
      for (const f of FIELDS) {
        totals[f] += read.response[f];
        delta[f] = read.response[f];
      }
      return { model: read.response.modelKey, delta };
    }
    const totals = this.modelTotals(prev.modelKey);
    const delta = zeroTotals();
    for (const f of FIELDS) {
      const next = Math.max(prev[f], read.response[f]);
      delta[f] = next - prev[f];
      totals[f] += delta[f];
      prev[f] = next;
    }
    // each line's 1-hour share is within its own total, so the larger share is within the larger total
    return { model: prev.modelKey, delta };
  }

  /** Forget everything (to start reading a session over). */
  reset(): void {
    this.responses.clear();
    this.models.clear();
    this.anonymous = 0;
  }

  /** A snapshot of the totals so far: per model, and summed. */
  usage(): Usage {
    const out: Usage = { ...zeroTotals(), costUsd: 0, unpricedModels: [], byModel: {}, messages: 0 };
    for (const [key, totals] of [...this.models].sort(([a], [b]) => a.localeCompare(b))) {
      const cost = costOfModelKey(key, totals);
      out.byModel[key] = { ...totals, costUsd: cost };
      for (const f of FIELDS) out[f] += totals[f];
      out.messages += totals.messages;
      if (cost !== null) out.costUsd += cost;
      else if (FIELDS.some((f) => totals[f] > 0)) out.unpricedModels.push(key);
    }
    return out;
  }

  private modelTotals(key: string): TokenTotals & { messages: number } {
    let totals = this.models.get(key);
    if (!totals) {
      totals = { ...zeroTotals(), messages: 0 };
      this.models.set(key, totals);
    }
    return totals;
  }
}

/** The dollars of tokens of a model as the accumulator keys it (`<model> (fast)` for fast mode); null when unpriced. */
export function costOfModelKey(modelKey: string, tokens: TokenTotals): number | null {
  const fast = modelKey.endsWith(FAST_SUFFIX);
  const price = priceFor(fast ? modelKey.slice(0, -FAST_SUFFIX.length) : modelKey, { fast });
  return price ? costUsd(price, tokens) : null;
}

/** Usage of a set of lines (e.g. every line of a session's transcript files). */
export function usageFromLines(lines: Iterable<string>): Usage {
  const acc = new UsageAccumulator();
  for (const line of lines) acc.addLine(line);
  return acc.usage();
}

/** Usage of JSONL text; a last line cut off mid-write does not parse and is skipped. */
export function usageFromText(text: string): Usage {
  return usageFromLines(text.split('\n'));
}
