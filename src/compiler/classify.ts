/**
 * Ranks a registry's disciplines for a task, offline: BM25 over each discipline's keywords, title,
 * description and its subagents' descriptions, with multi-word keywords also matched as phrases.
 */
import { stemmer } from 'stemmer';
import type { Registry } from '../registry/index.js';

export interface Ranked {
  discipline: string;
  title: string;
  score: number;
  /** the task's words that matched, as they appear in the discipline's fields */
  matched: string[];
}

const FIELD_WEIGHTS = { keywords: 3, title: 2, description: 1, agents: 0.5 } as const;
const PHRASE_BONUS = 1.5;
const K1 = 1.2;
const B = 0.75;
const STOP = new Set(
  'a an and are as at be by for from has have i in into is it its of on or our please so that the their then this to we with you your will should would can could need needs make do does using use via all any new'.split(
    ' ',
  ),
);

export function tokens(text: string): string[] {
  const out: string[] = [];
  for (const raw of text
    .toLowerCase()
    .normalize('NFKD')
    .split(/[^a-z0-9+#]+/)) {
    if (raw.length === 0 || STOP.has(raw)) continue;
    out.push(raw.length > 3 ? stemmer(raw) : raw);
  }
  return out;
}

interface Doc {
  id: string;
  title: string;
  tf: Map<string, number>;
  length: number;
  phrases: { words: string[]; text: string }[];
  surface: Map<string, string>;
}

export interface Classifier {
  rank(task: string): Ranked[];
}

/** Builds the index once; ranking a task is then a few map lookups per word. */
export function buildClassifier(reg: Registry): Classifier {
  const docs: Doc[] = [];
  for (const d of [...reg.disciplines.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const tf = new Map<string, number>();
    const surface = new Map<string, string>();
    let length = 0;
    const add = (text: string, weight: number) => {
      for (const raw of text.toLowerCase().split(/[^a-z0-9+#]+/)) {
        const [t] = tokens(raw);
        if (t === undefined) continue;
        tf.set(t, (tf.get(t) ?? 0) + weight);
        if (!surface.has(t)) surface.set(t, raw);
        length += weight;
      }
    };
    const phrases: Doc['phrases'] = [];
    for (const k of d.value.keywords) {
      add(k, FIELD_WEIGHTS.keywords);
      const words = tokens(k);
      if (words.length > 1) phrases.push({ words, text: k });
    }
    add(d.value.title, FIELD_WEIGHTS.title);
    add(d.value.description, FIELD_WEIGHTS.description);
    for (const a of d.value.agents) {
      const agent = reg.agents.get(a);
      if (agent) add(agent.value.frontmatter.description, FIELD_WEIGHTS.agents);
    }
    docs.push({ id: d.id, title: d.value.title, tf, length, phrases, surface });
  }
  const avg = docs.reduce((s, d) => s + d.length, 0) / Math.max(1, docs.length);
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: string) => {
    const n = df.get(t) ?? 0;
    return Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
  };

  return {
    rank(task: string): Ranked[] {
      const q = tokens(task);
      const unique = [...new Set(q)];
      const ranked = docs.map((d) => {
        let score = 0;
        const matched: string[] = [];
        for (const t of unique) {
          const f = d.tf.get(t);
          if (!f) continue;
          score += idf(t) * ((f * (K1 + 1)) / (f + K1 * (1 - B + (B * d.length) / avg)));
          matched.push(d.surface.get(t) ?? t);
        }
        for (const p of d.phrases) {
          if (containsSequence(q, p.words)) {
            score += (PHRASE_BONUS * p.words.reduce((s, w) => s + idf(w), 0)) / p.words.length;
            matched.push(p.text);
          }
        }
        return {
          discipline: d.id,
          title: d.title,
          score: Math.round(score * 1000) / 1000,
          matched: [...new Set(matched)],
        };
      });
      return ranked.sort((a, b) => b.score - a.score || (a.discipline < b.discipline ? -1 : 1));
    },
  };
}

function containsSequence(hay: string[], needle: string[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
