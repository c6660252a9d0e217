/**
 * `agency org apply` refusing what it cannot give: an overlay with problems (each named, nothing recorded
 * or sent), a link in the overlay, a VP placed on a node that is not configured, an unknown --node; and a
 * configured node that is down, which is told to get its VPs with the next push.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { privilegeLines } from '../../src/cli/org-command.js';
import { MIN_REGISTRY } from '../helpers/node.js';
import { agencyAsync, closedPort, operatorEnv, sshKey } from '../helpers/operator.js';
import { offlineNode } from '../helpers/node-server.js';
import { tempDir } from '../helpers/tmp.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/orgs/fund-ops', import.meta.url));
const home = tempDir('ag-orgapply-');
afterAll(() => home.remove());

let n = 0;
/** a copy of the fixture organisation, changed by `change` */
function org(change: (dir: string) => void = () => undefined): string {
  const dir = join(home.path, `orgs-${++n}`, 'fund-ops');
  cpSync(FIXTURE, dir, { recursive: true });
  change(dir);
  return dir;
}
const editYaml = (dir: string, from: string, to: string) => {
  const p = join(dir, 'org.yaml');
  writeFileSync(p, readFileSync(p, 'utf8').replace(from, to));
};

async function operator(nodes: string[]) {
  const env = operatorEnv(join(home.path, `op-${++n}`), { AGENCY_REGISTRY: MIN_REGISTRY });
  const key = sshKey(join(home.path, `id-${n}`));
  for (const name of nodes) {
    const r = await agencyAsync(
      ['nodes', 'add', name, '--host', '127.0.0.1', '--port', String(await closedPort()), '--identity', key],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
  }
  // only the nodes named: the local node that the first one kept in goes
  expect((await agencyAsync(['nodes', 'remove', 'local'], env)).code).toBe(0);
  const config = () => (existsSync(env.AGENCY_CONFIG!) ? JSON.parse(readFileSync(env.AGENCY_CONFIG!, 'utf8')) : {});
  return { env, config, a: (...args: string[]) => agencyAsync(args, env) };
}

describe('agency org apply', () => {
  it('refuses an overlay with problems, naming each, and records and sends nothing', async () => {
    const op = await operator(['box1']);
    const dir = org((d) => {
      editYaml(d, 'disciplines: [docs]', 'disciplines: [no-such]');
      rmSync(join(d, 'agents', 'scenario-simulator.md'));
    });
    const r = await op.a('org', 'apply', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`the organisation in ${dir} has 2 problems (nothing was sent):`);
    expect(r.stderr).toMatch(/org\.yaml:\d+: VP ir: unknown discipline "no-such"/);
    expect(r.stderr).toMatch(/disciplines\/stress-testing\.yaml:\d+: .*scenario-simulator/);
    expect(r.stderr).not.toContain('    at ');
    expect(op.config().org).toBeUndefined();
    // a folder with no org.yaml
    const plain = await op.a('org', 'apply', MIN_REGISTRY);
    expect([plain.code, plain.stderr]).toEqual([1, expect.stringContaining(`${MIN_REGISTRY} holds no org.yaml`)]);
  });

  it('sends no file through a link', async () => {
    const op = await operator(['box1']);
    const outside = join(home.path, 'outside.md');
    writeFileSync(outside, readFileSync(join(FIXTURE, 'agents', 'scenario-simulator.md')));
    const dir = org((d) => {
      rmSync(join(d, 'agents', 'scenario-simulator.md'));
      symlinkSync(outside, join(d, 'agents', 'scenario-simulator.md'));
    });
    const r = await op.a('org', 'apply', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'agents', 'scenario-simulator.md')} is a link`);
    expect(op.config().org).toBeUndefined();
  });

  it('refuses VPs placed on nodes that are not configured, and --node naming no node', async () => {
    const op = await operator(['box1', 'box2']);
    const dir = org((d) => editYaml(d, 'disciplines: [docs]', 'disciplines: [docs]\n    nodes: [box1, studio-9]'));
    const r = await op.a('org', 'apply', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not configured: studio-9 (VP ir); configured: box1, box2');
    const unknown = await op.a('org', 'apply', org(), '--node', 'box7');
    expect([unknown.code, unknown.stderr]).toEqual([2, 'agency: unknown node "box7"; nodes: box1, box2\n']);
    expect(op.config().org).toBeUndefined();
  });

  it('records the organisation and tells which nodes get their VPs with the next push', async () => {
    const op = await operator(['box1', 'box2']);
    const dir = org();
    const r = await op.a('org', 'apply', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { nodes: { node: string; result: string; vps: string[] }[] };
    // three VPs on two nodes: one carries two
    expect(doc.nodes.map((x) => [x.node, x.result, x.vps])).toEqual([
      ['box1', 'down', ['quant', 'ir']],
      ['box2', 'down', ['risk']],
    ]);
    expect(op.config().org).toBe(dir);
    const text = await op.a('org', 'apply', dir, '--node', 'box2');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('box2: down; gets Risk with the next push');
    expect(text.stdout).not.toContain('box1');
  });

  it('names the overlay files that add hook commands or allowed rules, and records what a node took', async () => {
    const node = offlineNode('ag-orgpriv-');
    await node.listen();
    try {
      const env = operatorEnv(join(home.path, `op-${++n}`), {
        AGENCY_REGISTRY: MIN_REGISTRY,
        AGENCY_HOME: node.dir.path,
      });
      const dir = org((d) => {
        mkdirSync(join(d, 'hooks'));
        const hook = {
          description: 'formats after edits',
          approvals: { allow: ['Bash(npm run fmt)'] },
          hooks: { PostToolUse: [{ matcher: 'Edit', hooks: [{ type: 'command', command: 'npm run fmt' }] }] },
        };
        writeFileSync(join(d, 'hooks', 'fmt.json'), JSON.stringify(hook));
        const p = join(d, 'disciplines', 'stress-testing.yaml');
        writeFileSync(p, readFileSync(p, 'utf8').replace(/hooks: \[([^\]]*)\]/, 'hooks: [$1, fmt]'));
      });
      const text = await agencyAsync(['org', 'apply', dir], env);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(
        `${join(dir, 'hooks', 'fmt.json')}: hook commands on PostToolUse (they run outside the sandbox); allows Bash(npm run fmt) without asking`,
      );
      expect(text.stdout).toContain('local: Quant Strategy, Risk, Investor Relations');
      const json = await agencyAsync(['org', 'apply', dir, '--json'], env);
      const doc = JSON.parse(json.stdout);
      expect(doc.recorded).toBe(true);
      expect(doc.privileges).toEqual([
        { file: 'disciplines/stress-testing.yaml', hooks: [], allow: ['Bash(touch *)'] },
        { file: 'hooks/fmt.json', hooks: ['PostToolUse'], allow: ['Bash(npm run fmt)'] },
      ]);
      expect(JSON.parse(readFileSync(env.AGENCY_CONFIG!, 'utf8')).org).toBe(dir);
    } finally {
      await node.close();
    }
  });

  it('records nothing when every node that answered refused the organisation, and says so', async () => {
    const node = offlineNode('ag-orgref-');
    await node.listen();
    try {
      // the operator's base registry has a discipline the node's does not: the node refuses the VP that names it
      const base = join(home.path, `base-${++n}`);
      cpSync(MIN_REGISTRY, base, { recursive: true });
      const backend = readFileSync(join(base, 'disciplines', 'backend.yaml'), 'utf8');
      writeFileSync(join(base, 'disciplines', 'extra.yaml'), backend.replace('id: backend', 'id: extra'));
      const env = operatorEnv(join(home.path, `op-${++n}`), { AGENCY_REGISTRY: base, AGENCY_HOME: node.dir.path });
      const dir = org((d) => editYaml(d, 'disciplines: [docs]', 'disciplines: [docs, extra]'));
      const r = await agencyAsync(['org', 'apply', dir], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('local: refused');
      expect(r.stderr).toContain('unknown discipline "extra"');
      expect(r.stderr).toContain(
        `organisation fund-ops was not recorded in ${env.AGENCY_CONFIG}: every node refused it`,
      );
      expect(r.stdout).not.toContain('recorded in');
      expect(
        existsSync(env.AGENCY_CONFIG!) ? JSON.parse(readFileSync(env.AGENCY_CONFIG!, 'utf8')).org : undefined,
      ).toBeUndefined();
      const json = await agencyAsync(['org', 'apply', dir, '--json'], env);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ recorded: false, nodes: [{ node: 'local', result: 'refused' }] });
    } finally {
      await node.close();
    }
  });
});

describe('the privileges org apply names', () => {
  it('are one line per file, or one for the files that give the same rules alike', () => {
    const same = { hooks: [], allow: ['Bash(git status)'] };
    const lines = privilegeLines({
      dir: '/o',
      privileges: [
        { file: 'disciplines/a.yaml', ...same },
        { file: 'disciplines/b.yaml', ...same },
        { file: 'hooks/fmt.json', hooks: ['PostToolUse'], allow: [] },
      ],
    });
    expect(lines).toEqual([
      '2 files of /o (disciplines/a.yaml, disciplines/b.yaml): allows Bash(git status) without asking',
      '/o/hooks/fmt.json: hook commands on PostToolUse (they run outside the sandbox)',
    ]);
  });
});
