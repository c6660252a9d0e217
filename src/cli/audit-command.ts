/**
 * `agency audit`: every node's audit trail, merged by time, one line per entry or as JSON; `agency audit
 * verify`: each node walks its chain and names the first entry that does not hold. Entries are read from
 * each node a page at a time, so that a long trail is never one frame.
 */
import type { Cockpit } from '../cockpit/client.js';
import type { AuditEntry, AuditVerify } from '../protocol/economics.js';
import { safeLine } from '../terminal/index.js';
import { EXIT, printJson, say, UserError } from './output.js';
import { parseSince } from './cost-command.js';
import { withCockpit } from './with-cockpit.js';

const PAGE = 1000;

export interface AuditOptions {
  node?: string[];
  session?: string;
  since?: string;
  json?: boolean;
}

type Unreached = { node: string; error: string };

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

/** One node's entries, page after page, each as the operator names the node. */
async function readNode(c: Cockpit, node: string, q: { session?: string; since?: string }): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let after = 0;
  for (;;) {
    const page = await c.requestOn(node, 'audit', { ...q, after, limit: PAGE });
    for (const e of page.entries) out.push({ ...e, node });
    if (!page.more || page.entries.length === 0) return out;
    after = page.entries.at(-1)!.seq;
  }
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
  const { entries, unreached } = await withCockpit({ start: true, ...(nodes ? { nodes } : {}) }, async (c) => {
    const { up, unreached } = reach(c);
    const parts = await Promise.all(
      up.map((n) =>
        readNode(c, n, q).catch((e: Error) => {
          unreached.push({ node: n, error: e.message });
          return [];
        }),
      ),
    );
    return { entries: mergeByTime(parts.flat()), unreached };
  });
  if (o.json) printJson({ entries, unreachable: unreached });
  else if (entries.length === 0)
    say(`no audit entries${session ? ` of session ${safeLine(session)}` : ''}${since ? ` since ${since}` : ''}`);
  else for (const e of entries) say(auditLine(e));
  failIfUnreached(unreached, 'the audit trail');
}

/** A node's verdict as a line. */
export function verifyLine(v: AuditVerify): string {
  const where = `${v.entries} entr${v.entries === 1 ? 'y' : 'ies'} in ${v.files.length} file${v.files.length === 1 ? '' : 's'}`;
  if (v.ok) return `${safeLine(v.node)}: ok (${where})`;
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
