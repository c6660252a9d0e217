/** `--since`: an ISO date or time, `today` (local midnight), or a span back from now such as `2h`, `30m`, `7d`. */
import { EXIT, UserError } from './output.js';

const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** The time `text` names, as ISO (UTC); a UserError naming what it takes when it names none. */
export function parseSince(text: string, now = new Date()): string {
  const t = text.trim();
  if (t.toLowerCase() === 'today') {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    return d.toISOString();
  }
  const span = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(t);
  if (span) return new Date(now.getTime() - Number(span[1]) * UNIT_MS[span[2]!.toLowerCase()]!).toISOString();
  // a date or a date and time; a time of no zone is local, as the operator reads a clock
  if (/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/i.test(t)) {
    const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00` : t.replace(' ', 'T'));
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  throw new UserError(
    `--since ${JSON.stringify(text)} is not a time: give an ISO date or time (2026-05-01, 2026-05-01T09:30Z), today, or a span back from now (90s, 30m, 2h, 7d, 2w)`,
    EXIT.usage,
  );
}
