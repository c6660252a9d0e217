/**
 * The guard corpus (corpus.ts) through decide(), in a world of real files (corpus-fixture.ts): each
 * command or tool call gets the verdict it deserves, and every refusal or question gives its reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/guard/decide.js';
import { CORPUS, type CorpusCase } from './corpus.js';
import { corpusWorld, type CorpusWorld } from './corpus-fixture.js';

let world: CorpusWorld;
beforeAll(() => {
  world = corpusWorld();
});
afterAll(() => world.remove());

function fill<T>(v: T): T {
  const s = JSON.stringify(v).replace(/\{(root|home|outside|tmp|base)\}/g, (_, k: keyof CorpusWorld) =>
    String(world[k]),
  );
  return JSON.parse(s) as T;
}

function run(c: CorpusCase) {
  const call = fill(c.call);
  const input =
    typeof call === 'string'
      ? { tool_name: 'Bash', tool_input: { command: call } }
      : { tool_name: call.tool, tool_input: call.input };
  const cwd = c.cwd ? join(world.root, c.cwd) : world.root;
  return decide({ ...input, cwd }, world.policy(!c.unsandboxed, c.base), world.home);
}

const label = (c: CorpusCase) =>
  `${c.expect}${c.unsandboxed ? ' (unsandboxed)' : ''}${c.base ? ' (base policy)' : ''}: ${typeof c.call === 'string' ? c.call : `${c.call.tool} ${JSON.stringify(c.call.input)}`}`;

describe('the guard corpus', () => {
  it('has a few hundred cases of every verdict, each block with an expected reason', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(300);
    for (const v of ['allow', 'deny', 'ask'] as const)
      expect(CORPUS.filter((c) => c.expect === v).length).toBeGreaterThan(40);
    for (const c of CORPUS) if (c.expect !== 'allow') expect(c.reason, label(c)).toBeTruthy();
  });

  it.each(CORPUS.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const d = run(c);
    const reason = d.verdict === 'allow' ? '' : d.reason;
    expect(d.verdict, reason).toBe(c.expect);
    if (d.verdict !== 'allow') {
      expect(reason.trim().length).toBeGreaterThan(10);
      expect(reason.toLowerCase()).toContain((c.reason as string).toLowerCase());
    }
  });

  it('changed nothing: the guard only reads', () => {
    expect(readFileSync(join(world.outside, 'precious.txt'), 'utf8')).toBe('keep me\n');
    expect(readFileSync(join(world.root, '.env'), 'utf8')).toBe('API_TOKEN=fixture\n');
  });
});
