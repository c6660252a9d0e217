/**
 * `agency genesis --backend api` against the scripted Messages API: the standard guard on every discipline,
 * re-runs that never take over another organisation's folder and keep the operator's files, the pool of calls,
 * answers that are blank or import files, one send-back per call, and writes that fail or were interrupted.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkRegistryAt } from '../../src/registry/index.js';
import { FAKE_API_KEY } from '../helpers/claude.js';
import { deferAfterEach } from '../helpers/defer.js';
import { genesisScenario, type OrgShape, type Override } from '../helpers/genesis-script.js';
import { genesisWorld } from './genesis-env.js';

const BASE = fileURLToPath(new URL('../../registry', import.meta.url));
const defer = deferAfterEach();
const SHAPE = { vps: 3, disciplines: 2, agents: 2 };
const DESCRIPTION = 'An AI-managed public-markets fund operator';

async function world(override: Override = () => null, shape: OrgShape = SHAPE, delayMs = 0) {
  const w = await genesisWorld(genesisScenario(shape, override, delayMs));
  defer(() => w.close());
  return w;
}
const twice = (v: unknown): [unknown, unknown] => [v, v];
const orgDir = (out: string, id = 'fund-ops') => join(out, 'orgs', id);

describe('agency genesis guards', () => {
  it('every discipline gets the standard guard first, whatever hooks the model chose; the preview shows guard and check', async () => {
    const w = await world((c, s) =>
      c.phase === 'disciplines'
        ? twice({ disciplines: (s.disciplines as object[]).map((d) => ({ ...d, hooks: ['guard-chain'] })) })
        : null,
    );
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      '│  ├─ Practice 1.1 (d1-practice-1) · sonnet, guard guard-standard, guard-chain, tools context7, check: npm test',
    );
    const { registry, problems } = checkRegistryAt(orgDir(w.out), BASE);
    expect(problems).toEqual([]);
    for (const id of ['d1-practice-1', 'd2-practice-2', 'd3-practice-1'])
      expect(registry.disciplines.get(id)!.value.hooks).toEqual(['guard-standard', 'guard-chain']);
  });

  it('with --replace, a hooks/ file in the folder that would replace a shipped guard policy is refused', async () => {
    const w = await world();
    expect((await w.run([DESCRIPTION, '--vps', '3', '--yes', '--replace'])).code).toBe(0);
    mkdirSync(join(orgDir(w.out), 'hooks'));
    writeFileSync(join(orgDir(w.out), 'hooks', 'guard-standard.json'), '{"description":"nothing","rules":[]}');
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes', '--replace']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hooks/guard-standard.json would replace the shipped guard policy of that name');
    expect(r.stderr).not.toContain('    at ');
  });
});

describe('agency genesis over a folder that is already there', () => {
  it('refuses to take over another organisation of the same id, and --org-id names this one', async () => {
    const w = await world();
    const victim = orgDir(w.out);
    mkdirSync(join(victim, 'tools'), { recursive: true });
    const org = stringify({
      schema: 1,
      id: 'fund-ops',
      name: 'Other',
      description: 'Something else entirely',
      vps: [{ id: 'x', name: 'X', persona: 'p', mandate: 'm', disciplines: ['engineering'] }],
    });
    writeFileSync(join(victim, 'org.yaml'), org);
    writeFileSync(join(victim, 'tools', 'mine.json'), '{}');
    const before = w.listing();
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `the organisation id fund-ops exists in ${victim} for another organisation ("Something else entirely"), and genesis does not take it over: pass another --out, move it away, or give this organisation another id with --org-id`,
    );
    expect(w.listing()).toEqual(before);
    expect(readFileSync(join(victim, 'org.yaml'), 'utf8')).toBe(org);

    const named = await w.run([DESCRIPTION, '--vps', '3', '--yes', '--org-id', 'fund-two']);
    expect(named.code, named.stderr).toBe(0);
    expect(checkRegistryAt(orgDir(w.out, 'fund-two'), BASE).problems).toEqual([]);
    expect(readFileSync(join(victim, 'org.yaml'), 'utf8')).toBe(org);
  });

  it('refuses a folder without org.yaml instead of wiping it', async () => {
    const w = await world();
    mkdirSync(join(orgDir(w.out), 'notes'), { recursive: true });
    writeFileSync(join(orgDir(w.out), 'notes', 'plan.md'), 'mine\n');
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${orgDir(w.out)} exists but holds no org.yaml, so it is no organisation genesis wrote`);
    expect(w.listing()).toEqual(['orgs', 'orgs/fund-ops', 'orgs/fund-ops/notes', 'orgs/fund-ops/notes/plan.md']);
  });

  it("a re-run keeps the operator's files and edited charters, and leaves out the disciplines dropped from a VP", async () => {
    const w = await world();
    expect((await w.run([DESCRIPTION, '--vps', '3', '--yes'])).code).toBe(0);
    const dir = orgDir(w.out);
    mkdirSync(join(dir, 'tools'));
    const tool = { description: 'Our own data feed.', server: { type: 'stdio', command: 'feed-mcp' } };
    writeFileSync(join(dir, 'tools', 'feed.json'), JSON.stringify(tool));
    const charter = join(dir, 'charters', 'd2-practice-1.md.hbs');
    writeFileSync(charter, `${readFileSync(charter, 'utf8')}\nOur own house rule.\n`);
    const file = join(dir, 'org.yaml');
    const org = parse(readFileSync(file, 'utf8'));
    org.vps[0].disciplines = ['d1-practice-1', 'engineering'];
    writeFileSync(file, stringify(org));
    const before = w.calls();

    const r = await w.run([DESCRIPTION, '--vps', '3']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Rewrites ${dir}, an organisation genesis wrote from the same description:`);
    expect(r.stderr).toMatch(
      /Removed \(genesis wrote them, and no longer generates them\) \(4\):\n {2}agents\/practice-1-2-helper-1\.md\n {2}agents\/practice-1-2-helper-2\.md\n {2}charters\/d1-practice-2\.md\.hbs\n {2}disciplines\/d1-practice-2\.yaml\n/,
    );
    expect(r.stderr).toContain('Kept (genesis did not write them) (1):\n  tools/feed.json');
    expect(r.stderr).toContain('Kept (edited by hand since genesis wrote them');
    expect(r.stderr).toContain('Replaced (1):\n  org.yaml');
    expect(r.stderr).toContain('├─ also: engineering (not generated)');
    expect(w.calls()).toBe(before);

    expect((await w.run([DESCRIPTION, '--vps', '3', '--yes'])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'tools', 'feed.json'), 'utf8'))).toEqual(tool);
    expect(readFileSync(charter, 'utf8')).toContain('Our own house rule.');
    expect(existsSync(join(dir, 'disciplines', 'd1-practice-2.yaml'))).toBe(false);
    const { registry, problems } = checkRegistryAt(dir, BASE);
    expect(problems).toEqual([]);
    expect(registry.org!.value.vps[0]!.disciplines).toEqual(['d1-practice-1', 'engineering']);
    expect(registry.tools.has('feed')).toBe(true);
  });

  it('a write killed between its two renames is put back by the next run, which says so', async () => {
    const w = await world();
    expect((await w.run([DESCRIPTION, '--vps', '3', '--yes'])).code).toBe(0);
    const dir = orgDir(w.out);
    const aside = join(w.out, 'orgs', '.fund-ops.old');
    renameSync(dir, aside);
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`put ${dir} back from ${aside}, where an interrupted write had left it`);
    expect(r.stderr).toContain('VPs from the existing org.yaml');
    expect(existsSync(aside)).toBe(false);
    expect(checkRegistryAt(dir, BASE).problems).toEqual([]);
  });

  it('an organisation that fails the registry check is refused before the preview, so nothing is asked', async () => {
    const w = await world();
    expect((await w.run([DESCRIPTION, '--vps', '3', '--yes'])).code).toBe(0);
    mkdirSync(join(orgDir(w.out), 'tools'));
    writeFileSync(join(orgDir(w.out), 'tools', 'bad.json'), '{"description":"x","server":{"command":"y"}}');
    const r = await w.run([DESCRIPTION, '--vps', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the generated organisation does not pass the registry check, so nothing was written');
    expect(r.stderr).toContain('tools/bad.json:1: server.type');
    expect(r.stderr).not.toContain('Rewrites');
    expect(r.stderr).not.toContain('genesis asks before it writes');
    expect(w.listing().filter((f) => f.includes('.new-') || f.includes('.old'))).toEqual([]);
  });

  it('a folder it cannot write in gives a clear error, no stack trace', async () => {
    const w = await world();
    writeFileSync(w.out, 'a file, not a folder\n');
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/agency: cannot write the organisation next to .*: ENOTDIR: not a directory/);
    expect(r.stderr).toContain('Nothing was changed there; fix that and run again.');
    expect(r.stderr).not.toContain('    at ');
  });
});

describe('agency genesis answers', () => {
  it('a blank title is sent back, not cached, and the preview never shows an organisation that then fails', async () => {
    const w = await world((c, s) =>
      c.phase === 'disciplines' && c.vp === 'Division 2'
        ? [{ disciplines: (s.disciplines as object[]).map((d) => ({ ...d, title: '   ' })) }, s]
        : null,
    );
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).calls.retried).toBe(1);
    const back = w.api.requests.find((q) => q.kind === 'main' && q.turns === 1)!;
    expect(JSON.stringify(back.body.messages.at(-1))).toContain('disciplines[0].title: Too small');
  });

  it('an "@path" import in a charter is sent back with the problem', async () => {
    const w = await world((c, s) =>
      c.phase === 'disciplines' && c.vp === 'Division 1'
        ? twice({
            disciplines: (s.disciplines as object[]).map((d) => ({ ...d, charter: 'First read @~/.ssh/id_rsa.' })),
          })
        : null,
    );
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'disciplines[0].charter: "@" followed by a path would make Claude Code import that file; write "at" or leave the @ out',
    );
    expect(w.listing()).toEqual([]);
  });

  it('a call sent back once that then clashes with another call fails, naming both calls and the id', async () => {
    const w = await world((c, s) => {
      if (c.phase !== 'disciplines' || c.vp !== 'Division 3') return null;
      const clash = { disciplines: [{ ...(s.disciplines as object[])[0], id: 'd1-practice-1' }] };
      return [{ disciplines: [] }, clash];
    });
    const r = await w.run([DESCRIPTION, '--vps', '3', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'agency: phase 2 (disciplines) of VP vp-3: discipline id "d1-practice-1" is also used by phase 2 (disciplines) of VP vp-1, and this call was sent back once already.',
    );
    const vp3 = w.api.requests.filter((q) => q.kind === 'main' && JSON.stringify(q.body).includes('Division 3'));
    expect(vp3).toHaveLength(2);
  });

  it('the description is refused before any call when it holds a secret or invisible characters', async () => {
    const w = await world();
    for (const [text, msg] of [
      [`A fund; our key is ${FAKE_API_KEY}`, 'the organisation description holds what looks like an Anthropic API key'],
      ['A fund \u202eevil', 'the organisation description holds control characters or invisible direction marks'],
    ]) {
      const r = await w.run([text!, '--yes']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stderr).not.toContain(FAKE_API_KEY);
    }
    expect(w.calls()).toBe(0);
  });
});

describe('agency genesis calls in a pool', () => {
  /** the most requests that arrived within half a call's delay of each other */
  const crowd = (ats: number[], delayMs: number) =>
    Math.max(...ats.map((t) => ats.filter((u) => u <= t && u > t - delayMs / 2).length));

  it('--parallel bounds the calls with the model at once', async () => {
    const delay = 400;
    const narrow = await world(() => null, SHAPE, delay);
    expect((await narrow.run([DESCRIPTION, '--vps', '3', '--yes', '--parallel', '2'])).code).toBe(0);
    expect(
      crowd(
        narrow.api.requests.filter((q) => q.kind === 'main').map((q) => q.at),
        delay,
      ),
    ).toBe(2);
    const wide = await world(() => null, SHAPE, delay);
    expect((await wide.run([DESCRIPTION, '--vps', '3', '--yes'])).code).toBe(0);
    expect(
      crowd(
        wide.api.requests.filter((q) => q.kind === 'main').map((q) => q.at),
        delay,
      ),
    ).toBe(6);
  });
});
