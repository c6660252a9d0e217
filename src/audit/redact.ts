/**
 * What an audit entry may hold: no secret, and nothing unbounded. Tokens and keys in text are blanked (API
 * keys, bearer tokens, GitHub and Slack tokens, credentials in URLs, `SECRET_NAME=value`), the values of
 * the node's secret environment variables wherever they appear, and any detail field whose name is a
 * secret's; strings, lists, objects and depth are cut to fixed bounds.
 */
import { scrubText } from '../protocol/repo-url.js';
import { isSecretVariable } from '../protocol/secret-env.js';

export const MAX_SUMMARY = 300;
const MAX_STRING = 1000;
const MAX_ITEMS = 50;
const MAX_KEYS = 40;
const MAX_DEPTH = 4;
const HIDDEN = '[redacted]';

const TOKEN_PATTERNS: [RegExp, string][] = [
  [/\bsk-ant-[A-Za-z0-9_-]+/g, `sk-ant-${HIDDEN}`],
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{16,}/g, HIDDEN],
  [/\bgithub_pat_[A-Za-z0-9_]{16,}/g, HIDDEN],
  [/\bglpat-[A-Za-z0-9_-]{16,}/g, HIDDEN],
  [/\bxox[abposre]-[A-Za-z0-9-]{8,}/g, HIDDEN],
  [/\bxapp-[A-Za-z0-9-]{8,}/g, HIDDEN],
  [/\bAKIA[0-9A-Z]{16}\b/g, HIDDEN],
  [/\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1$2${HIDDEN}`],
  [/\b(x-api-key|authorization)(\s*[:=]\s*)\S+/gi, `$1$2${HIDDEN}`],
];

/** `NAME=value` and `NAME: value` where NAME is a secret's (ANTHROPIC_API_KEY=…, GH_TOKEN: …). */
const ASSIGNMENT = /\b([A-Za-z_][A-Za-z0-9_]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"',;&|]+)/g;

/** The values of an environment's secret variables worth looking for in text (short ones would blank words). */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => typeof v === 'string' && v.length >= 8 && isSecretVariable(k))
    .map(([, v]) => v!)
    .sort((a, b) => b.length - a.length);
}

/** Text with every secret it shows blanked. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = scrubText(text, secrets);
  for (const [re, by] of TOKEN_PATTERNS) out = out.replace(re, by);
  return out.replace(ASSIGNMENT, (m, name: string, sep: string) =>
    isSecretVariable(name) ? `${name}${sep}${HIDDEN}` : m,
  );
}

function clipString(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** One line for people: whitespace folded, secrets blanked, at most MAX_SUMMARY characters. */
export function summaryLine(text: string, secrets: readonly string[] = []): string {
  return clipString(redactText(text.replace(/\s+/g, ' ').trim(), secrets), MAX_SUMMARY);
}

/** A detail value made safe to keep: secrets blanked, bounded in length, count and depth; JSON values only. */
export function boundValue(v: unknown, secrets: readonly string[], depth = 0): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') return clipString(redactText(v, secrets), MAX_STRING);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object') return null;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(v)) {
    const items = v.slice(0, MAX_ITEMS).map((x) => boundValue(x, secrets, depth + 1));
    if (v.length > MAX_ITEMS) items.push(`[${v.length - MAX_ITEMS} more]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
  for (const k of keys.slice(0, MAX_KEYS)) {
    const key = clipString(k, 100);
    out[key] = isSecretVariable(k) ? HIDDEN : boundValue((v as Record<string, unknown>)[k], secrets, depth + 1);
  }
  if (keys.length > MAX_KEYS) out['…'] = `${keys.length - MAX_KEYS} more fields`;
  return out;
}
