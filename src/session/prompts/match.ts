/**
 * Matching rule fragments against a dialog's zones. Everything is compared folded (lower case, quotes
 * unified, whitespace collapsed) and, failing that, with all whitespace removed, so a word hard-broken
 * across two lines (a long path) still matches.
 */
import { fold, squash, unwrap } from './normalise.js';
import type { Dialog } from './structure.js';
import type { FragmentTest, MatchSpec, Zone } from './types.js';

/** Each zone as a list of folded strings; a `^` fragment must start one of them. */
export type ZoneTexts = Record<Zone, string[]>;

export function zoneTexts(d: Dialog): ZoneTexts {
  const prose = d.prose.map((p) => fold(unwrap(p)));
  const options = d.options.map((o) => fold(o.label));
  const descriptions = d.options.flatMap((o) => (o.description ? [fold(o.description)] : []));
  const footer = d.footer.map(fold);
  return {
    heading: d.heading.length ? [fold(unwrap(d.heading))] : [],
    question: d.question.length ? [fold(unwrap(d.question))] : [],
    options,
    footer,
    text: [...prose, ...options, ...descriptions, ...footer],
  };
}

function matchesOne(texts: readonly string[], fragment: string): boolean {
  const anchored = fragment.startsWith('^');
  const f = fold(anchored ? fragment.slice(1) : fragment);
  const sf = squash(f);
  if (!f) return false;
  return texts.some((t) =>
    anchored ? t.startsWith(f) || squash(t).startsWith(sf) : t.includes(f) || squash(t).includes(sf),
  );
}

export function matchesAny(texts: readonly string[], fragments: readonly string[]): boolean {
  return fragments.some((f) => matchesOne(texts, f));
}

function passes(texts: readonly string[], test: FragmentTest): boolean {
  if (test.all && !test.all.every((f) => matchesOne(texts, f))) return false;
  if (test.any && !matchesAny(texts, test.any)) return false;
  if (test.none && matchesAny(texts, test.none)) return false;
  return true;
}

/** Every zone the spec names passes its test (an empty spec matches anything). */
export function matchesSpec(z: ZoneTexts, spec: MatchSpec): boolean {
  return (Object.keys(spec) as Zone[]).every((zone) => {
    const test = spec[zone];
    return test === undefined || passes(z[zone], test);
  });
}
