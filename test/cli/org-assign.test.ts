import { describe, expect, it } from 'vitest';
import { assignVps, AssignmentError } from '../../src/cli/org-assign.js';

const vp = (id: string, nodes: string[] = []) => ({ id, nodes });
const nodes = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const asObject = (m: Map<string, string[]>) => Object.fromEntries(m);

describe('assignVps', () => {
  it('gives one VP to each node when there are as many', () => {
    expect(asObject(assignVps([vp('a'), vp('b'), vp('c')], nodes(3)))).toEqual({ n1: ['a'], n2: ['b'], n3: ['c'] });
  });

  it('gives a node several VPs when there are fewer nodes than VPs', () => {
    expect(asObject(assignVps([vp('a'), vp('b'), vp('c'), vp('d'), vp('e')], nodes(2)))).toEqual({
      n1: ['a', 'c', 'e'],
      n2: ['b', 'd'],
    });
    // the local node alone carries every VP
    expect(asObject(assignVps([vp('a'), vp('b')], ['local']))).toEqual({ local: ['a', 'b'] });
  });

  it('still gives every node a VP when there are more nodes than VPs', () => {
    const m = assignVps([vp('quant'), vp('risk'), vp('ir')], nodes(16));
    expect([...m.values()].every((l) => l.length === 1)).toBe(true);
    const counts = new Map<string, number>();
    for (const [v] of m.values()) counts.set(v!, (counts.get(v!) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ quant: 6, risk: 5, ir: 5 });
  });

  it('keeps a VP on the nodes org.yaml names, and spreads the others over the rest first', () => {
    const m = assignVps([vp('a', ['n3']), vp('b'), vp('c', ['n1', 'n4'])], nodes(4));
    expect(asObject(m)).toEqual({ n1: ['c'], n2: ['b'], n3: ['a'], n4: ['c'] });
    // every VP named: nodes left over get VPs round robin
    expect(asObject(assignVps([vp('a', ['n1']), vp('b', ['n2'])], nodes(4)))).toEqual({
      n1: ['a'],
      n2: ['b'],
      n3: ['a'],
      n4: ['b'],
    });
    // fewer free nodes than unplaced VPs: the free ones first, then round the rest
    expect(asObject(assignVps([vp('a', ['n1']), vp('b'), vp('c')], nodes(2)))).toEqual({ n1: ['a', 'c'], n2: ['b'] });
  });

  it('refuses nodes that are not configured, naming them and their VPs', () => {
    expect(() => assignVps([vp('a', ['n9']), vp('b', ['n1', 'studio'])], nodes(2))).toThrow(AssignmentError);
    expect(() => assignVps([vp('a', ['n9']), vp('b', ['n1', 'studio'])], nodes(2))).toThrow(
      /not configured: n9 \(VP a\), studio \(VP b\); configured: n1, n2/,
    );
  });
});
