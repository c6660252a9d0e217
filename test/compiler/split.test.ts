/**
 * Which disciplines take a part of a task that spans several (the registry agency ships, ranked by the real
 * classifier), and what each part's session is told.
 */
import { describe, expect, it } from 'vitest';
import { buildClassifier, type Ranked } from '../../src/compiler/classify.js';
import { MAX_PARTS, partTask, splitParts } from '../../src/compiler/split.js';
import { defaultRegistryDir } from '../../src/paths/package.js';
import { loadRegistry } from '../../src/registry/index.js';

const classifier = buildClassifier(loadRegistry(defaultRegistryDir()));
const parts = (task: string) => splitParts(classifier.rank(task)).map((p) => p.discipline);
const ranked = (discipline: string, score: number, matched: string[]): Ranked => ({
  discipline,
  title: discipline.toUpperCase(),
  score,
  matched,
});

describe('splitting a task', () => {
  it('a task spanning two disciplines: one part each', () => {
    expect(parts('add a kubernetes helm chart for the service and write the readme documentation for it')).toEqual([
      'devops',
      'documentation',
    ]);
  });

  it('a task that fits one discipline: one part; one that fits none: no parts', () => {
    expect(parts('fix the react component that renders the login form')).toEqual(['frontend']);
    expect(parts('bake sourdough bread')).toEqual([]);
  });

  it('takes a discipline at half the best’s score or more, only when it adds words the better ones did not', () => {
    const ranking = [
      ranked('a', 10, ['helm', 'chart']),
      ranked('b', 6, ['helm']), // nothing new
      ranked('c', 5, ['readme']), // half the best's: in
      ranked('d', 4.9, ['license']), // under half: out, and everything after it
      ranked('e', 4.8, ['privacy']),
    ];
    expect(splitParts(ranking).map((p) => p.discipline)).toEqual(['a', 'c']);
    // words are compared as the classifier stems them: "charts" is "chart"
    expect(splitParts([ranked('a', 10, ['chart']), ranked('b', 9, ['charts'])]).map((p) => p.discipline)).toEqual([
      'a',
    ]);
  });

  it('at most four parts', () => {
    const ranking = ['a', 'b', 'c', 'd', 'e', 'f'].map((d, i) => ranked(d, 10 - i, [`word${d}`]));
    expect(splitParts(ranking)).toHaveLength(MAX_PARTS);
    expect(MAX_PARTS).toBe(4);
  });

  it('each part’s session is told the whole task, its own part (title and words), and the others', () => {
    const ps = [ranked('devops', 10, ['helm', 'chart']), ranked('documentation', 6, ['readme'])];
    const text = partTask('add a helm chart and a readme', ps[1]!, ps);
    expect(text.startsWith('add a helm chart and a readme\n\n')).toBe(true);
    expect(text).toContain('Your part is the DOCUMENTATION (readme) part');
    expect(text).toContain('The other parts are taken by other sessions: DEVOPS (helm, chart).');
    expect(text).toContain('split between 2 sessions');
    // one part: the task as it is
    expect(partTask('add a helm chart', ps[0]!, [ps[0]!])).toBe('add a helm chart');
  });
});
