/**
 * `agency genesis --backend api` against the scripted Messages API: a 3-VP organisation written as an overlay
 * that passes the registry check, the calls made (1 + V + D, the later phases in parallel), the cache that
 * resumes an interrupted run, and the re-run after org.yaml is edited, which asks only what changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkRegistryAt } from '../../src/registry/index.js';
import { assignNodes } from '../../src/genesis/index.js';
import { deferAfterEach } from '../helpers/defer.js';
import { callOf, genesisScenario } from '../helpers/genesis-script.js';
import { genesisWorld } from './genesis-env.js';

const BASE = fileURLToPath(new URL('../../registry', import.meta.url));
const defer = deferAfterEach();
const SHAPE = { vps: 3, disciplines: 2, agents: 3 };
const DESCRIPTION = 'An AI-managed public-markets fund operator';

async function world(...a: Parameters<typeof genesisScenario>) {
  const w = await genesisWorld(genesisScenario(...a), ['studio-01', 'studio-02']);
  defer(() => w.close());
  return w;
}

describe('agency genesis with the api backend', () => {
  it('writes a 3-VP organisation that passes the registry check, in 1 + V + D calls', async () => {
    const w = await world(SHAPE);
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe(1);
    expect(doc.org).toEqual({ id: 'fund-ops', name: 'Fund Operations', dir: join(w.out, 'orgs', 'fund-ops') });
    expect(doc.vps.map((v: { id: string; nodes: string[] }) => [v.id, v.nodes])).toEqual([
      ['vp-1', ['studio-01']],
      ['vp-2', ['studio-02']],
      ['vp-3', ['studio-01']],
    ]);
    expect(doc.calls).toEqual({ made: 1 + 3 + 6, cached: 0, retried: 0 });
    expect(w.calls()).toBe(10);
    expect(doc.tokens.input).toBeGreaterThan(0);
    expect(doc.tokens.output).toBeGreaterThan(0);
    expect(doc.files).toHaveLength(1 + 6 + 6 + 18);

    const dir = join(w.out, 'orgs', 'fund-ops');
    const { registry, problems } = checkRegistryAt(dir, BASE);
    expect(problems).toEqual([]);
    expect(registry.org?.value.vps.map((v) => v.disciplines)).toEqual([
      ['d1-practice-1', 'd1-practice-2'],
      ['d2-practice-1', 'd2-practice-2'],
      ['d3-practice-1', 'd3-practice-2'],
    ]);
    const d = registry.disciplines.get('d2-practice-1')!.value;
    expect(d.agents).toEqual(['practice-2-1-helper-1', 'practice-2-1-helper-2', 'practice-2-1-helper-3']);
    expect(d.tools).toEqual(['context7']);
    expect(d.hooks).toEqual(['guard-standard']);
    expect(registry.agents.get('practice-2-1-helper-1')!.value.frontmatter).toEqual({
      name: 'practice-2-1-helper-1',
      description: 'Helps with Practice 2.1, part 1.',
      tools: ['Read', 'Grep', 'Glob'],
      model: 'haiku',
    });

    // the API was asked with a forced tool whose schema is the phase's, and the phases 2 and 3 ran in parallel
    const bodies = w.api.requests.filter((q) => q.kind === 'main').map((q) => q.body);
    expect(bodies[0].tool_choice).toEqual({ type: 'tool', name: 'org' });
    expect(bodies[0].model).toBe('claude-sonnet-5');
    expect(bodies[0].tools[0].input_schema.properties.vps.minItems).toBe(3);
    expect(w.listing().filter((f) => f.includes('.new-'))).toEqual([]);
  });

  it('resumes an interrupted run from the cache: only the call that failed is made again', async () => {
    let failing = true;
    const scenario = genesisScenario(SHAPE);
    scenario.error = (rec) =>
      failing &&
      callOf(JSON.stringify(rec.body?.messages ?? ''))?.phase === 'agents' &&
      JSON.stringify(rec.body).includes('Practice 3.2')
        ? { status: 400, type: 'invalid_request_error', message: 'scripted failure' }
        : null;
    const w = await genesisWorld(scenario);
    defer(() => w.close());
    const first = await w.run([DESCRIPTION, '--vps', '3', '--yes']);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('the Anthropic API refused the call: 400');
    expect(w.listing()).toEqual([]);
    const before = w.calls();
    expect(before).toBe(10);

    failing = false;
    const again = await w.run([DESCRIPTION, '--vps', '3', '--yes', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(w.calls() - before).toBe(1);
    expect(JSON.parse(again.stdout).calls).toEqual({ made: 1, cached: 9, retried: 0 });
  });

  it('after org.yaml is edited, a re-run regenerates only the edited VP and its disciplines', async () => {
    const w = await world(SHAPE);
    expect((await w.run([DESCRIPTION, '--vps', '3', '--yes'])).code).toBe(0);
    const file = join(w.out, 'orgs', 'fund-ops', 'org.yaml');
    const org = parse(readFileSync(file, 'utf8'));
    org.vps[1].mandate = 'Answerable for risk across every book.';
    org.vps[1].nodes = ['studio-09'];
    writeFileSync(file, stringify(org));
    const before = w.calls();

    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    // phase 1 from the cache; VP 2's disciplines (1 call) and their subagents (2 calls) asked again
    expect(w.calls() - before).toBe(3);
    expect(JSON.parse(r.stdout).calls).toEqual({ made: 3, cached: 7, retried: 0 });
    const asked = w.api.requests.slice(-3).map((q) => JSON.stringify(q.body.messages));
    expect(asked.every((m) => m.includes('Division 2'))).toBe(true);
    const written = parse(readFileSync(file, 'utf8'));
    expect(written.vps[1].mandate).toBe('Answerable for risk across every book.');
    expect(written.vps[1].nodes).toEqual(['studio-09']);
    expect(checkRegistryAt(join(w.out, 'orgs', 'fund-ops'), BASE).problems).toEqual([]);

    // unchanged: nothing asked at all
    const still = w.calls();
    expect((await w.run([DESCRIPTION, '--vps', '3', '--yes'])).code).toBe(0);
    expect(w.calls()).toBe(still);
  });

  it('shows the plan and refuses without a terminal unless --yes, writing nothing', async () => {
    const w = await world(SHAPE);
    const r = await w.run([DESCRIPTION, '--vps', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Writes 31 files:');
    expect(r.stderr).toMatch(/├── agents\/\n│ {3}├── practice-1-1-helper-1\.md/);
    // a long folder shows its ends: 18 agent files
    expect(r.stderr).toMatch(
      /│ {3}├── practice-1-1-helper-3\.md\n│ {3}├── … 14 more …\n│ {3}└── practice-3-2-helper-3\.md/,
    );
    expect(r.stderr).toContain('├─ VP Division 1 (vp-1) on studio-01: Answerable for the work of division 1.');
    expect(r.stderr).toContain('│  ├─ Practice 1.1 (d1-practice-1) · sonnet, guard guard-standard, tools context7');
    expect(r.stderr).toContain('│  │  ├─ practice-1-1-helper-1 · haiku · Read, Grep, Glob');
    expect(r.stderr).toContain('agency: genesis asks before it writes, and there is no terminal to ask in');
    expect(w.listing()).toEqual([]);
  });

  it('needs ANTHROPIC_API_KEY, and says so without a call', async () => {
    const w = await world(SHAPE);
    delete w.env.ANTHROPIC_API_KEY;
    const r = await w.run([DESCRIPTION, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'agency: the api backend needs ANTHROPIC_API_KEY in the environment: export it, or use --backend claude (your Claude Code login)\n',
    );
    expect(w.calls()).toBe(0);
  });

  it('refuses bad options as usage errors', async () => {
    const w = await world(SHAPE);
    for (const [args, msg] of [
      [['x', '--vps', '0'], '--vps 0 is not a number of VPs from 1 to 16'],
      [['x', '--vps', '17'], '--vps 17 is not a number of VPs from 1 to 16'],
      [['x', '--parallel', '0'], '--parallel 0 is not a number of calls at once from 1 to 32'],
      [['x', '--org-id', '../x'], '--org-id ../x: use lowercase letters, digits and hyphens'],
      [['x', '--model', 'gpt-4'], '--model gpt-4: use sonnet, opus, haiku or a full claude-… model id'],
      [['x', '--backend', 'openai'], '--backend openai: use claude'],
      [['  '], 'the organisation description is empty'],
    ] as const) {
      const r = await w.run([...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(msg);
    }
    expect(w.calls()).toBe(0);
  });
});

describe('nodes for VPs', () => {
  it('round robin: a node carries several VPs when there are fewer nodes, and nodes spread over VPs when there are more', () => {
    expect(assignNodes(3, ['a', 'b'])).toEqual([['a'], ['b'], ['a']]);
    expect(assignNodes(2, ['a', 'b', 'c', 'd', 'e'])).toEqual([
      ['a', 'c', 'e'],
      ['b', 'd'],
    ]);
    expect(assignNodes(2, [])).toEqual([[], []]);
  });
});
