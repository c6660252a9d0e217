/**
 * List prices in USD per million tokens, by canonical model id (see canonicalModel in pricing.ts).
 *
 * Sources, checked 2026-11-21:
 * - [P] Anthropic's pricing page, platform.claude.com/docs/en/about-claude/pricing ("Model pricing",
 *   "Prompt caching", "Fast mode pricing", web search $10 per 1,000 searches), and the per-model
 *   overview pages (platform.claude.com/docs/en/models/<model>/overview) for Sonnet 5 and Fable 5.
 * - [CC] The price table inside the Claude Code 2.1.197 binary (the one behind `total_cost_usd`).
 * Both agree everywhere except Sonnet 5: [P] lists $2/$10, while Claude Code 2.1.197 still prices it at
 * $3/$15, so its `total_cost_usd` for Sonnet 5 is 1.5 times the list price. We use the list price.
 *
 * Cache writes are 1.25× (5-minute) and 2× (1-hour) the input price and cache reads 0.1× for every model
 * here except Claude Haiku 3, whose published cache prices are not exact multiples.
 * Not modelled: the US-only `inference_geo` 1.1× multiplier, Batch API discounts, and the retired
 * long-context (>200K input) premium of Sonnet 4/4.5 (Claude Code 2.1.197 applies neither).
 */

export interface ModelPrice {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

/** USD per server-side web search request [P]; Claude Code adds it to `total_cost_usd` too [CC]. */
export const WEB_SEARCH_USD = 0.01;

/** A price with the standard cache multipliers. */
function standard(input: number, output: number): ModelPrice {
  const r = (x: number): number => Math.round(x * 1e6) / 1e6; // 3 * 0.1 is 0.30000000000000004
  return { input, output, cacheWrite5m: r(input * 1.25), cacheWrite1h: r(input * 2), cacheRead: r(input * 0.1) };
}

const OPUS_4_5 = standard(5, 25); // Opus 4.5, 4.6, 4.7, 4.8 [P][CC]
const OPUS_4 = standard(15, 75); // Opus 4, 4.1, Opus 3 [P][CC]
const SONNET = standard(3, 15); // Sonnet 3.5, 3.7, 4, 4.5, 4.6 [P][CC]
const FABLE = standard(10, 50); // Fable 5, Mythos 5 [P][CC]

export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-8': OPUS_4_5,
  'claude-opus-4-7': OPUS_4_5,
  'claude-opus-4-6': OPUS_4_5,
  'claude-opus-4-5': OPUS_4_5,
  'claude-opus-4-1': OPUS_4,
  'claude-opus-4-0': OPUS_4,
  'claude-3-opus': OPUS_4,
  'claude-sonnet-5': standard(2, 10), // [P]; Claude Code 2.1.197 uses $3/$15 [CC]
  'claude-sonnet-4-6': SONNET,
  'claude-sonnet-4-5': SONNET,
  'claude-sonnet-4-0': SONNET,
  'claude-3-7-sonnet': SONNET,
  'claude-3-5-sonnet': SONNET,
  'claude-haiku-4-5': standard(1, 5), // [P][CC]
  'claude-3-5-haiku': standard(0.8, 4), // [P][CC]
  'claude-3-haiku': { input: 0.25, output: 1.25, cacheWrite5m: 0.3, cacheWrite1h: 0.5, cacheRead: 0.03 }, // [P]
  'claude-fable-5': FABLE,
  'claude-mythos-5': FABLE,
};

/**
 * Fast mode (`usage.speed === "fast"`): Opus 4.6 is 6× [P] (Claude Code prices 4.7 the same [CC]);
 * Opus 4.8 is 2× [P][CC]. A fast response of any other model is left unpriced.
 */
export const FAST_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-8': standard(10, 50),
  'claude-opus-4-7': standard(30, 150),
  'claude-opus-4-6': standard(30, 150),
};
