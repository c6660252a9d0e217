/** Tokens and cost of Claude Code sessions, read from their transcripts. */
export {
  projectSlug,
  slugHash,
  transcriptDir,
  transcriptFiles,
  mainTranscriptPath,
  subagentDir,
  defaultConfigDir,
  checkSessionId,
  MAX_SLUG_LENGTH,
} from './slug.js';
export {
  canonicalModel,
  priceFor,
  costUsd,
  stripContextSuffix,
  MODEL_PRICES,
  FAST_MODEL_PRICES,
  WEB_SEARCH_USD,
} from './pricing.js';
export type { ModelPrice, BillableTokens } from './pricing.js';
export { UsageAccumulator, usageFromLines, usageFromText, zeroTotals, costOfModelKey } from './usage.js';
export type { Usage, ModelUsage, TokenTotals } from './usage.js';
export { UsageTracker, nodeTranscriptReader } from './tracker.js';
export type { TranscriptReader, FileIdentity, UsageTrackerOptions, ResponseSeen } from './tracker.js';
