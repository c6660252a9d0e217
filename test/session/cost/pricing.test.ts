import { describe, expect, it } from 'vitest';
import { canonicalModel, costUsd, priceFor } from '../../../src/session/cost/pricing.js';

// Oracle: Anthropic's published list prices in USD per million tokens, typed in from the pricing page
// (platform.claude.com/docs/en/about-claude/pricing) and the Sonnet 5 / Fable 5 model pages:
// [input, 5m cache write, 1h cache write, cache read, output].
const PUBLISHED: Record<string, [number, number, number, number, number]> = {
  'claude-opus-4-8': [5, 6.25, 10, 0.5, 25],
  'claude-opus-4-7': [5, 6.25, 10, 0.5, 25],
  'claude-opus-4-6': [5, 6.25, 10, 0.5, 25],
  'claude-opus-4-5-20251101': [5, 6.25, 10, 0.5, 25],
  'claude-opus-4-1-20250805': [15, 18.75, 30, 1.5, 75],
  'claude-opus-4-20250514': [15, 18.75, 30, 1.5, 75],
  'claude-sonnet-5': [2, 2.5, 4, 0.2, 10],
  'claude-sonnet-4-6': [3, 3.75, 6, 0.3, 15],
  'claude-sonnet-4-5-20250929': [3, 3.75, 6, 0.3, 15],
  'claude-sonnet-4-20250514': [3, 3.75, 6, 0.3, 15],
  'claude-3-7-sonnet-20250219': [3, 3.75, 6, 0.3, 15],
  'claude-haiku-4-5-20251001': [1, 1.25, 2, 0.1, 5],
  'claude-3-5-haiku-20241022': [0.8, 1, 1.6, 0.08, 4],
  'claude-3-haiku-20240307': [0.25, 0.3, 0.5, 0.03, 1.25],
  'claude-fable-5': [10, 12.5, 20, 1, 50],
};

describe('priceFor', () => {
  it.each(Object.entries(PUBLISHED))(
    'prices %s at its published list price',
    (model, [input, w5, w1, read, output]) => {
      expect(priceFor(model)).toEqual({ input, output, cacheWrite5m: w5, cacheWrite1h: w1, cacheRead: read });
    },
  );

  it('ignores the [1m] context suffix Claude Code adds to model ids', () => {
    expect(priceFor('claude-opus-4-8[1m]')).toEqual(priceFor('claude-opus-4-8'));
    expect(priceFor('claude-sonnet-5[1m]')).toEqual(priceFor('claude-sonnet-5'));
  });

  it.each([
    'claude-opus-4-9', // a newer minor must not be priced as Opus 4
    'claude-sonnet-5-5', // published at $2/$10 too, but not checked here: unknown until added
    'claude-fable-5-1', // cache reads differ from Fable 5
    'claude-haiku-5-5',
    'gpt-5',
    '',
    '<synthetic>',
  ])('knows no price for %j', (model) => {
    expect(priceFor(model)).toBeNull();
  });

  it('prices fast mode apart: Opus 4.8 at 2x, Opus 4.6 at 6x, other models unknown', () => {
    expect(priceFor('claude-opus-4-8', { fast: true })).toMatchObject({ input: 10, output: 50, cacheRead: 1 });
    expect(priceFor('claude-opus-4-6', { fast: true })).toMatchObject({ input: 30, output: 150, cacheWrite5m: 37.5 });
    expect(priceFor('claude-sonnet-5', { fast: true })).toBeNull();
  });
});

describe('canonicalModel', () => {
  it.each([
    ['claude-opus-4-8[1m]', 'claude-opus-4-8'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4-0'],
    ['claude-opus-4', 'claude-opus-4-0'],
    ['claude-3-5-haiku-latest', 'claude-3-5-haiku'],
    ['us.anthropic.claude-opus-4-1-20250805-v1:0', 'claude-opus-4-1'],
    ['anthropic.claude-3-5-haiku-20241022-v1:0', 'claude-3-5-haiku'],
    ['claude-opus-4-1@20250805', 'claude-opus-4-1'],
    ['Claude-Sonnet-5', 'claude-sonnet-5'],
  ])('%s → %s', (raw, canonical) => {
    expect(canonicalModel(raw)).toBe(canonical);
  });
});

describe('costUsd', () => {
  it('adds input, output, 5-minute and 1-hour cache writes, cache reads and web searches', () => {
    const price = priceFor('claude-opus-4-8');
    if (!price) throw new Error('no price for claude-opus-4-8');
    const cost = costUsd(price, {
      inputTokens: 1_000,
      outputTokens: 2_000,
      cacheCreationTokens: 30_000,
      cacheCreation1hTokens: 10_000,
      cacheReadTokens: 400_000,
      webSearchRequests: 3,
    });
    // by hand: $5/M in, $25/M out, $6.25/M 5m write, $10/M 1h write, $0.50/M read, $10 per 1,000 searches
    const expected = 0.005 + 0.05 + 20_000 * 6.25e-6 + 10_000 * 10e-6 + 400_000 * 0.5e-6 + 0.03;
    expect(cost).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(0.51, 12);
  });
});
