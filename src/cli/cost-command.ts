/**
 * `agency cost [--by session|vp|node|discipline|model] [--since D] [--json]`: what the fleet spent, as its nodes
 * recorded it turn by turn: tokens (input, output, cache write, cache read) and dollars side by side, a row per
 * key merged across nodes, and a total. A node that cannot be reached is named on stderr (exit 1); the rest
 * still count.
 */
import { COST_BY, type CostBy, type CostRow } from '../protocol/economics.js';
import { dollars, tokens } from '../cockpit/format.js';
import { fleetCost } from '../cockpit/cost.js';
import { safeLine } from '../terminal/sanitize.js';
import { EXIT, printJson, say, UserError, warn } from './output.js';
import { withCockpit } from './with-cockpit.js';

const SPAN = /^(\d+)\s*(m|min|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export function parseBy(text: string | undefined): CostBy {
  const by = text ?? 'session';
  if ((COST_BY as readonly string[]).includes(by)) return by as CostBy;
  throw new UserError(`--by ${JSON.stringify(by)}: group by one of ${COST_BY.join(', ')}`, EXIT.usage);
}

/**
 * `today` (from 00:00 UTC), a span back from now (`30m`, `2h`, `3d`, `1w`), or an ISO date or time (a date
 * alone is its 00:00 UTC; a time without a zone is UTC).
 */
export function parseSince(text: string | undefined, now = new Date()): Date | null {
  if (text === undefined) return null;
  const t = text.trim();
  const bad = (why: string) =>
    new UserError(
      `--since ${JSON.stringify(text)}: ${why}; give today, a span like 2h or 3d, or an ISO date or time like 2030-05-02 or 2030-05-02T14:00Z`,
      EXIT.usage,
    );
  if (t.toLowerCase() === 'today') return new Date(`${now.toISOString().slice(0, 10)}T00:00:00.000Z`);
  const span = SPAN.exec(t);
  if (span) {
    const n = Number(span[1]);
    if (n <= 0) throw bad('a span is more than 0');
    const ms = now.getTime() - n * UNIT_MS[span[2]!.toLowerCase()]!;
    if (ms < 0) throw bad('that is before 1970');
    return new Date(ms);
  }
  if (!ISO.test(t)) throw bad('not a time agency reads');
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(t) || t.length === 10 ? t : `${t}Z`;
  const ms = Date.parse(t.length === 10 ? `${t}T00:00:00Z` : zoned.replace(' ', 'T'));
  if (!Number.isFinite(ms)) throw bad('no such date or time');
  return new Date(ms);
}

const COLUMNS = ['turns', 'input', 'output', 'cache write', 'cache read', 'cost'] as const;

function cells(r: CostRow): string[] {
  return [
    String(r.turns),
    tokens(r.inputTokens),
    tokens(r.outputTokens),
    tokens(r.cacheCreationTokens),
    tokens(r.cacheReadTokens),
    dollars(r.costUsd),
  ];
}

/** The rows as a table: the key left, the figures right-aligned under their headings, the total last. */
export function costTable(by: CostBy, rows: CostRow[], total: CostRow): string[] {
  const body = [...rows.map((r) => [safeLine(r.key), ...cells(r)]), ['total', ...cells(total)]];
  const head = [by, ...COLUMNS];
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)];
}

export async function cost(o: { by?: string; since?: string; json?: boolean }): Promise<void> {
  const by = parseBy(o.by);
  const since = parseSince(o.since);
  const r = await withCockpit({ start: true }, (c) => fleetCost(c, by, since));
  if (o.json) printJson(r);
  else {
    if (r.since) say(`since ${r.since}`);
    for (const l of costTable(by, r.rows, r.total)) say(l);
  }
  for (const u of r.unreachable) warn(`agency cost: node ${u.node} is not counted: ${safeLine(u.reason)}`);
  if (r.unreachable.length) process.exitCode = EXIT.failure;
}
