/**
 * Picking an option by its label, never by its position: defaults and order change between versions
 * (the API key dialog defaults to No; ~2.1.252 lists "No, exit" first on the trust dialog).
 *
 * Wanted labels are tried in preference order, in two passes:
 * 1. exact (ignoring case, quotes, spacing and a trailing hint such as "(recommended)" or "(esc)"),
 *    then the option's label starting with the wanted one ("Yes, I trust this folder" → "Yes, I trust
 *    this folder and its settings");
 * 2. the wanted label starting with the option's ("Yes" for "Yes, I accept"), then a fuzzy match on
 *    words (a reworded label). Both require the same first word, so a "yes" never turns into a "no".
 */
import { fold } from './normalise.js';
import type { DialogOption } from './types.js';

/** Similarity (Dice coefficient on word sets) above which a reworded label still counts. */
const FUZZY_MIN = 0.6;

/** The label without trailing parenthesised hints, folded: "No (recommended)" → "no". */
export function coreLabel(label: string): string {
  let s = fold(label);
  for (;;) {
    const t = s.replace(/\s*\([^()]*\)\s*$/, '');
    if (t === s || t === '') return s;
    s = t;
  }
}

const words = (s: string): string[] => s.split(/[^\p{L}\p{N}/.*-]+/u).filter(Boolean);

function startsAtWord(long: string, short: string): boolean {
  if (!long.startsWith(short) || short.length === 0) return false;
  const next = long.charAt(short.length);
  return next === '' || !/[\p{L}\p{N}]/u.test(next);
}

function dice(a: string[], b: string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let common = 0;
  for (const w of sa) if (sb.has(w)) common++;
  return sa.size + sb.size === 0 ? 0 : (2 * common) / (sa.size + sb.size);
}

type Test = (option: string, wanted: string) => boolean;

const exact: Test = (o, w) => o === w;
const optionExtends: Test = (o, w) => startsAtWord(o, w);
const wantedExtends: Test = (o, w) => startsAtWord(w, o);
const similar: Test = (o, w) => {
  const ow = words(o);
  const ww = words(w);
  return ow[0] !== undefined && ow[0] === ww[0] && dice(ow, ww) >= FUZZY_MIN;
};

/** The option to take for a list of wanted labels in preference order, or undefined if none fits. */
export function pickOption(options: readonly DialogOption[], wanted: readonly string[]): DialogOption | undefined {
  const cores = options.map((o) => ({ o, core: coreLabel(o.label) }));
  for (const pass of [
    [exact, optionExtends],
    [wantedExtends, similar],
  ] as const) {
    for (const label of wanted) {
      const w = coreLabel(label);
      for (const test of pass) {
        const hit = cores.find((c) => test(c.core, w));
        if (hit) return hit.o;
      }
    }
  }
  return undefined;
}
