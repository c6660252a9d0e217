/**
 * Walking an audit trail and naming the first entry that does not hold.
 *
 * Entry k's line is vouched for by entry k+1's `prev` (its SHA-256), and the last entry's by the head the
 * node rewrites with each append. A changed byte in entry k therefore shows as entry k+1's `prev` not
 * matching; the walk looks one entry further to tell which one changed:
 * - k+1's prev does not match k, but k+2 vouches for k+1 (or the head does, for the last): k was changed.
 * - k+2 does not vouch for k+1 either: k+1 itself was changed. If putting back the prev it should have
 *   makes k+1 hash to what k+2 recorded, its prev alone was changed and k is sound: k+1 is named. Otherwise
 *   both changed, and the earlier, k, is named.
 * A line that does not parse, or whose seq is not the one after the previous (a deleted, repeated or moved
 * entry), is named where it is. The last entry, vouched for by no entry, is checked against the head.
 *
 * The walk starts at the oldest file left: files archived before it are not missing, and the first entry of
 * that file (whose name says its seq) is taken as the start, its `prev` vouched for by the files archived.
 *
 * A start of the node that found the trail damaged (a `node-start` or `push` entry whose detail has `damage`:
 * a line cut short, a head missing or ahead of the files) is named too, unless something earlier is: the
 * chain after it holds, but what came before it was not kept whole, so the trail as a whole does not hold.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry, AuditVerify } from '../protocol/economics.js';
import { entryLine, GENESIS, HEAD_FILE, lineHash, parseEntry, splitLines, type Head, type TrailFile } from './files.js';

export interface VerifyInput {
  dir: string;
  node: string;
  files: TrailFile[];
  /** how many bytes of the last file to read: what it held when the walk began (default: all) */
  lastSize?: number;
  /** the seq and hash of the last entry the node wrote; null if it recorded none */
  head: Head | null;
}

interface Item {
  seq: number;
  hash: string;
  file: string;
  line: number;
  entry: AuditEntry;
}

type Broken = NonNullable<AuditVerify['broken']>;

const at = (i: Item): string => `seq ${i.seq} (${i.file} line ${i.line})`;

/** Which of j-1 and j was changed, once what vouches for j (the next entry's prev, or the head) is known. */
function settle(j: Item, before: Item, vouched: string | null): Broken {
  const name = (x: Item, why: string): Broken => ({ seq: x.seq, file: x.file, line: x.line, why });
  if (vouched === null || vouched === j.hash)
    return name(
      before,
      `its line does not hash to the prev entry ${at(j)} recorded: it was changed after it was written`,
    );
  if (lineHash(entryLine({ ...j.entry, prev: before.hash })) === vouched)
    return name(j, `its prev was changed: it does not match the hash of entry ${at(before)}`);
  return name(
    before,
    `its line does not hash to the prev entry ${at(j)} recorded, and entry seq ${j.seq} was changed as well`,
  );
}

export async function verifyTrail(o: VerifyInput): Promise<AuditVerify> {
  const files = o.files.map((f) => f.name);
  let entries = 0;
  const result = (broken: Broken | null): AuditVerify => ({
    node: o.node,
    ok: broken === null,
    entries,
    files,
    broken,
  });
  let prev: Item | null = null;
  let beforePrev: Item | null = null;
  let pending: { j: Item; before: Item } | null = null;
  let atHead: Item | null = null;
  let afterHead: Item | null = null;
  let lastFile = '';
  let lastLines = 0;
  /** the first start of the node that recorded damage */
  let damaged: Broken | null = null;
  const found = (b: Broken | null): AuditVerify => result(damaged ?? b);
  for (let fi = 0; fi < o.files.length; fi++) {
    const file = o.files[fi]!.name;
    let data = await readFile(join(o.dir, file));
    if (fi === o.files.length - 1 && o.lastSize !== undefined) data = data.subarray(0, o.lastSize);
    const { lines, rest } = splitLines(data);
    lastFile = file;
    lastLines = lines.length;
    for (let li = 0; li < lines.length; li++) {
      const buf = lines[li]!;
      const line = li + 1;
      const entry = parseEntry(buf.toString('utf8'));
      if (pending) return found(settle(pending.j, pending.before, entry ? entry.prev : null));
      if (!entry)
        return found({
          seq: null,
          file,
          line,
          why: `the line does not read as an audit entry${prev ? ` (it follows seq ${prev.seq})` : ''}`,
        });
      const item: Item = { seq: entry.seq, hash: lineHash(buf), file, line, entry };
      // the oldest file left is where the walk starts (older ones archived): its first entry, as its name says
      const start = fi === 0 && li === 0 ? o.files[0]!.first : 1;
      const expected = prev ? prev.seq + 1 : Math.max(1, start);
      if (entry.seq !== expected)
        return found({
          seq: expected,
          file,
          line,
          why: prev
            ? `entry seq ${expected} is missing or out of place: seq ${entry.seq} follows seq ${prev.seq} here`
            : `the trail starts at seq ${entry.seq}: the entries before it are missing`,
        });
      entries++;
      if (prev || entry.seq === 1 ? entry.prev !== (prev ? prev.hash : GENESIS) : false) {
        if (!prev)
          return found({
            seq: 1,
            file,
            line,
            why: 'the first entry does not chain from the start (prev is not 64 zeros)',
          });
        pending = { j: item, before: prev };
      }
      if (!damaged && (entry.kind === 'node-start' || entry.kind === 'push')) {
        const d = (entry.detail as { damage?: unknown }).damage;
        if (Array.isArray(d) && d.length > 0)
          damaged = {
            seq: entry.seq,
            file,
            line,
            why: `the node found the trail damaged when it started: ${String(d[0])}${d.length > 1 ? ` (and ${d.length - 1} more)` : ''}`,
          };
      }
      if (o.head && entry.seq === o.head.seq) atHead = item;
      if (o.head && entry.seq === o.head.seq + 1) afterHead = item;
      beforePrev = prev;
      prev = item;
    }
    if (rest.length > 0)
      return found({
        seq: null,
        file,
        line: lines.length + 1,
        why: `the last line is cut short (${rest.length} bytes and no newline): a write did not finish`,
      });
  }
  if (pending) {
    const { j, before } = pending;
    return found(settle(j, before, o.head && o.head.seq === j.seq ? o.head.hash : null));
  }
  if (!prev) return found(null);
  const head = o.head;
  if (!head)
    return found({
      seq: prev.seq,
      file: HEAD_FILE,
      line: 1,
      why: `the node's record of its last entry is missing: entry ${at(prev)} cannot be confirmed`,
    });
  if (head.seq === prev.seq)
    return found(
      head.hash === prev.hash
        ? null
        : {
            seq: prev.seq,
            file: prev.file,
            line: prev.line,
            why: 'its line does not hash to what the node recorded when it wrote it: it was changed after it was written',
          },
    );
  // the node writes the line, then the head: a crash between the two leaves the head one behind
  if (head.seq === prev.seq - 1 && beforePrev && head.hash === beforePrev.hash) return found(null);
  if (head.seq > prev.seq)
    return found({
      seq: prev.seq + 1,
      file: lastFile,
      line: lastLines + 1,
      why: `the trail ends at seq ${prev.seq} but the node wrote up to seq ${head.seq}: the entries after seq ${prev.seq} are missing`,
    });
  if (atHead && atHead.hash !== head.hash)
    return found({
      seq: atHead.seq,
      file: atHead.file,
      line: atHead.line,
      why: `its line does not hash to what the node recorded when it wrote it, and the entries after it were chained to the change`,
    });
  const odd = afterHead ?? prev;
  return found({
    seq: odd.seq,
    file: odd.file,
    line: odd.line,
    why: `the node's last entry was seq ${head.seq}, yet the trail goes on to seq ${prev.seq}: entries were added by something other than the node`,
  });
}
