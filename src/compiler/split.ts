/**
 * Splitting a task that spans disciplines: which disciplines of a ranking take a part of it, and what each
 * part's session is told. A discipline takes a part when it scores at least half the best's and matches
 * words of the task that the better ones did not; at most four parts. A task that fits one discipline is
 * one part.
 */
import { tokens, type Ranked } from './classify.js';

export const MAX_PARTS = 4;
/** a discipline scoring under this share of the best's takes no part */
export const PART_SHARE = 0.5;

/** The disciplines that take a part of the task, best first; none when nothing matches. */
export function splitParts(ranking: readonly Ranked[]): Ranked[] {
  const best = ranking[0];
  if (!best || best.score <= 0) return [];
  const parts = [best];
  const covered = new Set(best.matched.flatMap((w) => tokens(w)));
  for (const r of ranking.slice(1)) {
    if (parts.length >= MAX_PARTS || r.score < best.score * PART_SHARE) break;
    const fresh = r.matched.flatMap((w) => tokens(w)).filter((t) => !covered.has(t));
    if (fresh.length === 0) continue;
    parts.push(r);
    for (const w of r.matched) for (const t of tokens(w)) covered.add(t);
  }
  return parts;
}

const partName = (p: Ranked) => `${p.title}${p.matched.length ? ` (${p.matched.join(', ')})` : ''}`;

/** What the session of one part is given: the whole task, which part is its own, and who takes the others. */
export function partTask(task: string, part: Ranked, parts: readonly Ranked[]): string {
  if (parts.length <= 1) return task;
  const others = parts.filter((p) => p !== part).map(partName);
  return [
    task,
    '',
    `This task is split between ${parts.length} sessions, one per discipline, each working on its own branch.`,
    `Your part is the ${partName(part)} part: do that part, in full.`,
    `The other parts are taken by other sessions: ${others.join('; ')}. Leave them to those sessions.`,
  ].join('\n');
}
