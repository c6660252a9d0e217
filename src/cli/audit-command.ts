/**
 * `agency audit`: every node's audit trail, merged by time, one line per entry or as JSON; `agency audit
 * verify`: each node walks its chain and names the first entry that does not hold. Entries are read from
 * each node a page at a time and merged as they come (a cursor per node, the earliest head printed next), so
 * that however long the trails, the command holds one page per node, and a long trail is never one frame.
 */
import type { Cockpit } from '../cockpit/client.js';
import type { AuditEntry, AuditVerify } from '../protocol/economics.js';
import { safeLine } from '../terminal/index.js';
import { EXIT, JSON_SCHEMA, printJson, safeJson, say, UserError } from './output.js';
import { parseSince } from './cost-command.js';
import { withCockpit } from './with-cockpit.js';

const PAGE = 1000;

export interface AuditOptions {
  node?: string[];
  session?: string;
  since?: string;
  json?: boolean;
}

export type Unreached = { node: string; error: string };

/** The nodes asked, with a connection each; those that could not be reached, with why. */
function reach(c: Cockpit): { up: string[]; unreached: Unreached[] } {
  const up: string[] = [];
  const unreached: Unreached[] = [];
  for (const l of c.links) {
    if (l.connection()) up.push(l.name);
    else {
      const s = l.status();
      unreached.push({ node: l.name, error: `${s.state}${s.error ? `: ${s.error}` : ''}` });
    }
  }
  return { up, unreached };
}

/** One page of a node's entries after seq `after`. */
export type AuditPage = (after: number) => Promise<{ entries: AuditEntry[]; more: boolean }>;

/** `a` goes before `b`: by time, then node, then as the node wrote them. */
const before = (a: AuditEntry, b: AuditEntry): boolean =>
  a.at !== b.at ? a.at < b.at : a.node !== b.node ? a.node < b.node : a.seq < b.seq;

/**
 * The entries of every node, merged by time as they are read: each node's in the order it wrote them (a node
 * whose clock went back is not reordered), the earliest of the nodes' next entries first. A node whose read
 * fails is named through `failed`; what it gave before stays. Holds one page per node.
 */
export async function mergeStreams(
  sources: { node: string; page: AuditPage }[],
  emit: (e: AuditEntry) => void,
  failed: (node: string, error: string) => void,
): Promise<number> {
  const cursors = sources.map((s) => ({ ...s, entries: [] as AuditEntry[], i: 0, more: true, after: 0 }));
  /** the cursor's next entry, reading its next page when it needs one; null at its end */
  const next = async (c: (typeof cursors)[number]): Promise<AuditEntry | null> => {
    while (c.i >= c.entries.length) {
      if (!c.more) return null;
      const p = await c.page(c.after);
      c.entries = p.entries.map((e) => ({ ...e, node: c.node }));
      c.i = 0;
      c.more = p.more && p.entries.length > 0;
      if (p.entries.length > 0) c.after = p.entries.at(-1)!.seq;
    }
    return c.entries[c.i]!;
  };
  let live = cursors;
  let count = 0;
  for (;;) {
    const heads = await Promise.all(
      live.map((c) =>
        next(c).catch((e: Error) => {
          failed(c.node, e.message);
          c.more = false;
          c.entries = [];
          return null;
        }),
      ),
    );
    live = live.filter((_, k) => heads[k] !== null);
    const present = heads.filter((h): h is AuditEntry => h !== null);
    if (present.length === 0) return count;
    let best = 0;
    for (let k = 1; k < present.length; k++) if (before(present[k]!, present[best]!)) best = k;
    emit(present[best]!);
    live[best]!.i++;
    count++;
  }
}

/** `agency audit --json` written as its entries come: the same document printJson writes. */
export function jsonEntries(write: (s: string) => void): {
  entry(e: AuditEntry): void;
  end(unreachable: Unreached[]): void;
} {
  let n = 0;
  const indent = (text: string, by: string) => text.replace(/\n/g, `\n${by}`);
  write(`{\n  "schema": ${JSON_SCHEMA},\n  "entries": [`);
  return {
    entry: (e) => write(`${n++ ? ',' : ''}\n    ${indent(safeJson(e, 2), '    ')}`),
    end: (unreachable) =>
      write(`${n ? '\n  ' : ''}],\n  "unreachable": ${indent(safeJson(unreachable, 2), '  ')}\n}\n`),
  };
}

/** Entries of every node in time order (then by node, then as each node wrote them). */
export function mergeByTime(entries: AuditEntry[]): AuditEntry[] {
  return [...entries].sort((a, b) =>
    a.at !== b.at ? (a.at < b.at ? -1 : 1) : a.node !== b.node ? (a.node < b.node ? -1 : 1) : a.seq - b.seq,
  );
}

/** One entry as a line: time, node, kind, who, session, summary; everything a node sent made safe. */
export function auditLine(e: AuditEntry): string {
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.exec(e.at)?.[0]?.replace('T', ' ') ?? safeLine(e.at);
  return [
    time,
    safeLine(e.node).padEnd(10),
    safeLine(e.kind).padEnd(17),
    safeLine(e.by).padEnd(16),
    safeLine(e.session ?? '-').padEnd(10),
    safeLine(e.summary),
  ].join(' ');
}

function failIfUnreached(unreached: Unreached[], what: string): void {
  if (unreached.length === 0) return;
  throw new UserError(
    `${what} of ${unreached.map((u) => `${u.node} (${u.error})`).join(', ')} could not be read: the node${unreached.length > 1 ? 's are' : ' is'} not reachable`,
  );
}

export async function audit(o: AuditOptions): Promise<void> {
  const since = o.since !== undefined ? parseSince(o.since)!.toISOString() : undefined;
  let nodes = o.node;
  let session = o.session;
  if (session?.includes('/')) {
    const [n, id] = session.split('/', 2) as [string, string];
    if (nodes && !nodes.includes(n))
      throw new UserError(`--session ${session} is on node ${n}, which --node leaves out`, EXIT.usage);
    nodes = [n];
    session = id;
  }
  const q = { ...(session ? { session } : {}), ...(since ? { since } : {}) };
  let json: ReturnType<typeof jsonEntries> | null = null;
  const { count, unreached } = await withCockpit({ start: true, ...(nodes ? { nodes } : {}) }, async (c) => {
    const { up, unreached } = reach(c);
    if (o.json) json = jsonEntries((t) => process.stdout.write(t));
    const count = await mergeStreams(
      up.map((node) => ({ node, page: (after) => c.requestOn(node, 'audit', { ...q, after, limit: PAGE }) })),
      (e) => (json ? json.entry(e) : say(auditLine(e))),
      (node, error) => unreached.push({ node, error }),
    );
    return { count, unreached };
  });
  if (o.json) (json ?? jsonEntries((t) => process.stdout.write(t))).end(unreached);
  else if (count === 0)
    say(`no audit entries${session ? ` of session ${safeLine(session)}` : ''}${since ? ` since ${since}` : ''}`);
  failIfUnreached(unreached, 'the audit trail');
}

/** A node's verdict as a line. */
export function verifyLine(v: AuditVerify): string {
  const where = `${v.entries} entr${v.entries === 1 ? 'y' : 'ies'} in ${v.files.length} file${v.files.length === 1 ? '' : 's'}`;
  const first = /^audit-(\d{12})\.jsonl$/.exec(v.files[0] ?? '');
  const start = first && Number(first[1]) > 1 ? `, from seq ${Number(first[1])}: older files archived or removed` : '';
  if (v.ok) return `${safeLine(v.node)}: ok (${where}${start})`;
  const b = v.broken!;
  return `${safeLine(v.node)}: BROKEN at ${b.seq === null ? 'an unreadable entry' : `seq ${b.seq}`} (${safeLine(b.file)} line ${b.line}): ${safeLine(b.why)}`;
}

export async function auditVerify(o: { node?: string[]; json?: boolean }): Promise<void> {
  const { results, unreached } = await withCockpit({ start: true, ...(o.node ? { nodes: o.node } : {}) }, async (c) => {
    const { up, unreached } = reach(c);
    const results = (
      await Promise.all(
        up.map((n) =>
          c.requestOn(n, 'audit-verify', {}).then(
            (v) => ({ ...v, node: n }),
            (e: Error) => {
              unreached.push({ node: n, error: e.message });
              return null;
            },
          ),
        ),
      )
    ).filter((v): v is AuditVerify => v !== null);
    return { results, unreached };
  });
  const broken = results.filter((v) => !v.ok);
  if (o.json)
    printJson({
      ok: broken.length === 0 && unreached.length === 0,
      nodes: [...results, ...unreached.map((u) => ({ node: u.node, ok: false, error: u.error }))],
    });
  else {
    for (const v of results) say(verifyLine(v));
    for (const u of unreached) say(`${safeLine(u.node)}: not reached (${safeLine(u.error)})`);
  }
  if (unreached.length > 0) failIfUnreached(unreached, 'the audit verification');
  if (broken.length > 0)
    throw new UserError(
      `the audit trail of ${broken.map((v) => `${v.node} (seq ${v.broken!.seq ?? '?'}, ${v.broken!.file} line ${v.broken!.line})`).join(', ')} does not hold`,
    );
}
