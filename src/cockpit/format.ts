/**
 * How the cockpit writes a token count, an amount of money and an age, for the TUI and the CLI alike. Each
 * gives a short string whatever it is handed: a value that is not a number, or a date that cannot be read,
 * is written `?`.
 */

import type { SessionSummary } from '../protocol/messages.js';

const UNKNOWN = '?';

/** `950`, `1.2k`, `3.4M`, `1.0G`: one decimal above a thousand, the unit chosen after rounding (never `1000.0k`). */
export function tokens(n: number): string {
  if (!Number.isFinite(n)) return UNKNOWN;
  if (n < 999.5) return String(Math.round(n));
  if (n < 999_950) return `${(n / 1e3).toFixed(1)}k`;
  if (n < 999_950_000) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

/** `$0.42`, `$12.30`; whole dollars from $100 on (`$123`). */
export function dollars(usd: number): string {
  if (!Number.isFinite(usd)) return UNKNOWN;
  const cents = usd.toFixed(2);
  return Number(cents) >= 100 ? `$${usd.toFixed(0)}` : `$${cents}`;
}

/** How long ago `iso` was, in its largest whole unit: `42s`, `5m`, `3h`, `2d`. A time in the future is `0s`. */
export function age(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || !Number.isFinite(now)) return UNKNOWN;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** What a session is doing, in one line: why, when it failed, waits for input or a budget paused it; otherwise its activity. */
export function doing(s: Pick<SessionSummary, 'state' | 'reason' | 'activity'>): string {
  return s.reason && (s.state === 'failed' || s.state === 'needs-input' || s.state === 'paused')
    ? s.reason
    : s.activity;
}

/** A session's state as the operator reads it: `paused (budget)` when a budget ran out and holds it. */
export function stateText(s: Pick<SessionSummary, 'state' | 'held'>): string {
  return s.state === 'paused' && s.held === 'budget' ? 'paused (budget)' : s.state;
}

/** A model as a narrow column shows it: `sonnet`, `opus-4-5` for `claude-opus-4-5-20251101`; `default` for none. */
export function shortModel(model: string | null | undefined): string {
  if (!model) return 'default';
  return model.replace(/^claude-/, '').replace(/-\d{8}$/, '');
}

/** Live sessions by model, most used first: `sonnet 2 · opus 1`; '' for none. */
export function modelsText(models: readonly (string | null)[], sep = ' · '): string {
  const counts = new Map<string, number>();
  for (const m of models) counts.set(shortModel(m), (counts.get(shortModel(m)) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([m, n]) => `${m} ${n}`)
    .join(sep);
}

/** When a node's 429 pause ends, as people read it: `rate-limited until 12:03:10 UTC`. */
export function rateLimitedText(r: { until: string } | null | undefined): string {
  return r ? `rate-limited until ${r.until.slice(11, 19)} UTC` : '';
}
