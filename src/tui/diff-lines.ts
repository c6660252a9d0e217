/**
 * A session's diff as lines for the diff view: the files changed with their lines added and removed, then
 * the patch. The patch comes from a session's branch, so from a hostile session: every line is made plain
 * text here, once, as it arrives (escape sequences removed whole, controls and bidi overrides dropped, tabs
 * laid out as spaces); the view then only cuts lines to its width.
 */
import { DIFF_STATUS_LETTER, type DiffFile, type DiffResult } from '../cockpit/types.js';
import { safeText, truncateCodePoints } from '../terminal/index.js';

/** What a line is, for its colour. */
export type DiffTone = 'file' | 'hunk' | 'add' | 'del' | 'plain' | 'meta' | 'warn';

export interface DiffLine {
  readonly text: string;
  readonly tone: DiffTone;
}

/** Longest line kept (code points): the view shows the start of a line, never more than a screen of it. */
const MAX_LINE = 1000;
/** Most patch lines kept; past that the view says the rest is left out. */
export const MAX_PATCH_LINES = 50_000;
const TAB = 4;

/** One line of remote text as plain text: no escape sequences, no controls, tabs as spaces to the next stop. */
export function plainLine(s: string): string {
  const safe = safeText(truncateCodePoints(s, MAX_LINE)).replace(/\n/g, ' ');
  if (!safe.includes('\t')) return safe;
  let out = '';
  let col = 0;
  for (const ch of safe) {
    const add = ch === '\t' ? ' '.repeat(TAB - (col % TAB)) : ch;
    out += add;
    col += ch === '\t' ? add.length : 1;
  }
  return out;
}

function toneOf(line: string): DiffTone {
  if (line.startsWith('diff --git') || line.startsWith('+++ ') || line.startsWith('--- ')) return 'file';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return 'plain';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Lines added and removed across the files (binary files count as neither). */
export function diffTotals(d: DiffResult): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const f of d.files) {
    added += f.added ?? 0;
    removed += f.removed ?? 0;
  }
  return { added, removed };
}

/** One line about a diff: `3 files changed, +10 −2`. */
export function diffTitle(d: DiffResult): string {
  const { added, removed } = diffTotals(d);
  return `${plural(d.files.length, 'file')} changed, +${added} −${removed}`;
}

function fileLine(f: DiffFile, width: number): string {
  const counts = f.added === null || f.removed === null ? 'binary' : `+${f.added} −${f.removed}`;
  const path = plainLine(f.from ? `${f.from} → ${f.path}` : f.path);
  return ` ${DIFF_STATUS_LETTER[f.status] ?? '?'} ${counts.padStart(width)}  ${path}`;
}

export function diffLines(d: DiffResult): DiffLine[] {
  const out: DiffLine[] = [];
  const short = (sha: string) => plainLine(sha).slice(0, 10);
  out.push({ tone: 'meta', text: `${diffTitle(d)}, from ${short(d.from)} to ${short(d.to)}` });
  if (d.dirty)
    out.push({ tone: 'warn', text: 'the worktree has changes not committed: they are not part of this diff' });
  if (d.files.length === 0) {
    out.push({ tone: 'meta', text: 'no changes: the branch has nothing the commit it started from lacks' });
    return out;
  }
  const counts = d.files.map((f) => (f.added === null || f.removed === null ? 'binary' : `+${f.added} −${f.removed}`));
  const width = Math.max(...counts.map((c) => c.length));
  for (const f of d.files) out.push({ tone: 'file', text: fileLine(f, width) });
  if (d.patch === undefined) return out;
  out.push({ tone: 'plain', text: '' });
  const patch = d.patch.endsWith('\n') ? d.patch.slice(0, -1) : d.patch;
  const raw = patch.split('\n');
  for (const line of raw.slice(0, MAX_PATCH_LINES)) out.push({ tone: toneOf(line), text: plainLine(line) });
  if (d.truncated || raw.length > MAX_PATCH_LINES)
    out.push({
      tone: 'warn',
      text: `… the patch is cut here (too large to show whole): agency diff ${plainLine(d.session)} writes it all`,
    });
  return out;
}
