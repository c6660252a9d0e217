/** Which price applies to a model id as Claude Code writes it, and what a set of tokens costs. */
import { FAST_MODEL_PRICES, MODEL_PRICES, WEB_SEARCH_USD, type ModelPrice } from './prices.js';

export { MODEL_PRICES, FAST_MODEL_PRICES, WEB_SEARCH_USD, type ModelPrice } from './prices.js';

/** Families whose bare name (no minor version) is an older model than the dated ids of its minors. */
const ALIASES: Readonly<Record<string, string>> = {
  'claude-opus-4': 'claude-opus-4-0',
  'claude-sonnet-4': 'claude-sonnet-4-0',
};

/** `claude-opus-4-8[1m]` → `claude-opus-4-8`: the context-window suffix Claude Code adds to model ids. */
export function stripContextSuffix(model: string): string {
  return model.replace(/\[[^\]]*\]$/, '');
}

/**
 * The id a price is listed under: lower case, without the `[1m]` suffix, a Bedrock region and
 * `anthropic.` prefix, a Bedrock `-v1:0` version, a Vertex `@20250805` or first-party `-20251001` date,
 * or `-latest`. `claude-haiku-4-5-20251001` → `claude-haiku-4-5`, `claude-sonnet-4-20250514` →
 * `claude-sonnet-4-0`. Ids are matched whole after this, never by prefix, so a new minor version
 * (`claude-opus-4-9`) is unknown rather than priced as its family's oldest member.
 */
export function canonicalModel(model: string): string {
  const m = stripContextSuffix(model.trim().toLowerCase())
    .replace(/^(?:[a-z]{2,5}\.)?anthropic\./, '')
    .replace(/-v\d+(?::\d+)?$/, '')
    .replace(/@\d{8}$/, '')
    .replace(/-\d{8}$/, '')
    .replace(/-latest$/, '');
  return ALIASES[m] ?? m;
}

/** The list price of a model (fast mode has its own), or null when it is not known. */
export function priceFor(model: string, opts: { fast?: boolean } = {}): ModelPrice | null {
  const id = canonicalModel(model);
  const table = opts.fast ? FAST_MODEL_PRICES : MODEL_PRICES;
  return Object.hasOwn(table, id) ? (table[id] ?? null) : null;
}

export interface BillableTokens {
  inputTokens: number;
  outputTokens: number;
  /** all cache writes, 5-minute and 1-hour */
  cacheCreationTokens: number;
  /** the part of cacheCreationTokens written with a 1-hour lifetime (billed at 2× input instead of 1.25×) */
  cacheCreation1hTokens: number;
  cacheReadTokens: number;
  /** server-side web searches, billed per request */
  webSearchRequests: number;
}

/** USD for these tokens at this price; the 1-hour share of cache writes is capped at the total, as Claude Code does. */
export function costUsd(price: ModelPrice, t: BillableTokens): number {
  const write1h = Math.min(t.cacheCreation1hTokens, t.cacheCreationTokens);
  const write5m = t.cacheCreationTokens - write1h;
  return (
    (t.inputTokens * price.input +
      t.outputTokens * price.output +
      write5m * price.cacheWrite5m +
      write1h * price.cacheWrite1h +
      t.cacheReadTokens * price.cacheRead) /
      1e6 +
    t.webSearchRequests * WEB_SEARCH_USD
  );
}
