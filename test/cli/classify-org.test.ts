/**
 * `agency classify` with an organisation configured (the config's `org`): the organisation's disciplines
 * ranked, each with its VP, and the VP the task goes to; without one, the output is as it always was. A
 * configured organisation that is missing or broken is a clear error naming the file, for classify and run.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { agency } from '../helpers/agency.js';
import { tempDir } from '../helpers/tmp.js';

const ORG = fileURLToPath(new URL('../fixtures/orgs/studio-three', import.meta.url));
const dir = tempDir('ag-classify-org-');
afterAll(() => dir.remove());

function withConfig(name: string, config: object): NodeJS.ProcessEnv {
  const file = join(dir.path, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const env: NodeJS.ProcessEnv = { ...process.env, AGENCY_CONFIG: file, AGENCY_HOME: join(dir.path, 'home') };
  delete env.AGENCY_REGISTRY;
  return env;
}

const TASK = 'add a kubernetes helm chart and a ci pipeline';

describe('agency classify with an organisation', () => {
  it('--json: the best VP (id, name, nodes) and each discipline’s VP, over the VPs’ disciplines only', () => {
    const r = agency(['classify', TASK, '--json'], { env: withConfig('org', { org: ORG }) });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.best).toBe('devops');
    expect(doc.org).toBe('studio-three');
    expect(doc.vp).toEqual({ id: 'platform', name: 'Platform and Security', nodes: ['n2'] });
    const vps = Object.fromEntries(doc.ranking.map((x: { discipline: string; vp: string }) => [x.discipline, x.vp]));
    expect(vps).toEqual({
      devops: 'platform',
      'security-audit': 'platform',
      engineering: 'product',
      frontend: 'product',
      documentation: 'knowledge',
      'legal-compliance': 'knowledge',
    });
  });

  it('text: the VP first, then the ranking with each discipline’s VP', () => {
    const r = agency(['classify', TASK], { env: withConfig('org', { org: ORG }) });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('VP Platform and Security (platform) of Studio Three (studio-three), on n2');
    expect(lines[1]).toMatch(/^ 1\. devops\s+platform\s+\d+\.\d{3}\s+\(kubernetes, helm/);
    expect(lines).toHaveLength(7);
  });

  it('a task that fits none of the VPs: no VP, and says where run sends it', () => {
    const r = agency(['classify', 'bake sourdough bread', '--json'], { env: withConfig('org', { org: ORG }) });
    expect(JSON.parse(r.stdout)).toMatchObject({ best: null, vp: null });
    const t = agency(['classify', 'bake sourdough bread'], { env: withConfig('org', { org: ORG }) });
    expect(t.stdout).toContain('no discipline of the organisation Studio Three (studio-three) matches this task');
  });

  it('without an organisation, or with --registry, the output has no VP', () => {
    for (const env of [withConfig('none', {}), withConfig('org', { org: ORG })]) {
      const args = env.AGENCY_CONFIG!.endsWith('none.json')
        ? []
        : ['--registry', join(ORG, '..', '..', 'registry-min')];
      const r = agency(['classify', TASK, '--json', ...args], { env });
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(Object.keys(doc)).toEqual(['schema', 'task', 'best', 'ranking']);
      expect(doc.ranking[0]).not.toHaveProperty('vp');
    }
  });

  it('an organisation folder that is missing, or broken, is an error naming the file (classify and run)', () => {
    const missing = withConfig('missing', { org: join(dir.path, 'no-such-org') });
    for (const args of [
      ['classify', TASK],
      ['run', TASK],
    ]) {
      const r = agency(args, { env: missing });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`(org: ${join(dir.path, 'no-such-org')}) is not there: no such folder`);
      expect(r.stderr).toContain('missing.json');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const broken = join(dir.path, 'broken');
    cpSync(ORG, broken, { recursive: true });
    writeFileSync(
      join(broken, 'org.yaml'),
      'schema: 1\nid: broken\nname: Broken\ndescription: d\nvps:\n  - id: a\n    name: A\n    persona: p\n    mandate: m\n    disciplines: [no-such-discipline]\n',
    );
    const r = agency(['run', TASK], { env: withConfig('broken', { org: broken }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(broken, 'org.yaml')}:10: VP a: unknown discipline "no-such-discipline"`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    const e = agency(['classify', TASK], { env: withConfig('empty', { org: empty }) });
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('has no org.yaml');
  });

  it('a relative org path is taken from the config file’s folder', () => {
    cpSync(ORG, join(dir.path, 'rel-org'), { recursive: true });
    const r = agency(['classify', TASK, '--json'], { env: withConfig('rel', { org: 'rel-org' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).vp.id).toBe('platform');
  });
});
