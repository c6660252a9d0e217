/**
 * The organisation a node keeps: what it takes (an overlay valid over its registry, VPs that are in it), what it
 * refuses (keeping the one it had), that a path never leaves its folder, that a link planted where it keeps
 * the organisation is not followed, and that a restarted node reads back what it was given.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readOrgFiles } from '../../src/cli/org-files.js';
import { NodeOrgStore } from '../../src/node/org-store.js';
import { RemoteError } from '../../src/protocol/connection.js';
import { PROTOCOL_VERSION, type NodeInfo, type NodeOrg } from '../../src/protocol/messages.js';
import { parseOpArgs } from '../../src/protocol/ops.js';
import { MAX_ORG_BYTES, orgFilesBytes, type OrgFile } from '../../src/protocol/org.js';
import { encodeJson, MAX_FRAME } from '../../src/protocol/frames.js';
import { tempDir } from '../helpers/tmp.js';
import { offlineNode } from '../helpers/node-server.js';
import { until } from '../helpers/until.js';
import { connect } from 'node:net';
import { Connection } from '../../src/protocol/connection.js';
import type { NodeEvent } from '../../src/protocol/messages.js';

const BASE = fileURLToPath(new URL('../fixtures/registry-min', import.meta.url));
const ORG = fileURLToPath(new URL('../fixtures/orgs/fund-ops', import.meta.url));
const SRC = fileURLToPath(new URL('../../src', import.meta.url));

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
});

function info(): NodeInfo {
  return {
    name: 'n1',
    agentVersion: 'test',
    build: 'dev',
    protocol: PROTOCOL_VERSION,
    host: 'localhost',
    platform: 'linux-x64',
    pid: 1,
    startedAt: new Date(0).toISOString(),
  };
}

function store(home?: string) {
  const dir = home ?? tempDir('agency-org-').path;
  if (!home) cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const i = info();
  const changes: (NodeOrg | null)[] = [];
  const s = new NodeOrgStore({ home: dir, base: BASE, info: i, onChange: (o) => changes.push(o) });
  return { s, home: dir, info: i, changes };
}

const files = () => readOrgFiles(ORG);
const edit = (fs: OrgFile[], path: string, f: (t: string) => string) =>
  fs.map((x) => (x.path === path ? { ...x, text: f(x.text) } : x));
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('not refused');
    },
    (e: unknown) => e as RemoteError,
  );
const orgFolder = (home: string) =>
  join(
    home,
    'org',
    readdirSync(join(home, 'org')).find((n) => n.startsWith('o-'))!,
  );

describe('NodeOrgStore', () => {
  it('takes an overlay valid over its registry, with the VPs it carries, and tells watchers', async () => {
    const { s, info, changes } = store();
    expect(s.current()).toBeNull();
    const org = await s.apply({ files: files(), vps: ['quant', 'ir'] });
    expect(org).toEqual({
      id: 'fund-ops',
      name: 'Fund Operations',
      vps: [
        {
          id: 'quant',
          name: 'Quant Strategy',
          mandate: "Design and stress-test the fund's trading strategies.",
          disciplines: ['stress-testing'],
        },
        {
          id: 'ir',
          name: 'Investor Relations',
          mandate: 'Tell investors what the fund does and how it performs.',
          disciplines: ['docs'],
        },
      ],
    });
    expect(info.org).toEqual(org);
    expect(changes).toEqual([org]);
    // the overlay's discipline and the base's, in the registry runs use
    expect([...s.registry()!.disciplines.keys()].sort()).toEqual(['backend', 'docs', 'stress-testing']);
  });

  it('refuses a broken overlay, naming the problems, and keeps the organisation it had', async () => {
    const { s, home, info } = store();
    const first = await s.apply({ files: files(), vps: ['risk'] });
    const kept = readdirSync(join(home, 'org')).sort();
    const bad = edit(files(), 'org.yaml', (t) => t.replace('disciplines: [docs]', 'disciplines: [no-such-thing]'));
    const e = await refusal(s.apply({ files: bad, vps: ['quant'] }));
    expect(e).toBeInstanceOf(RemoteError);
    expect(e.code).toBe('bad-request');
    expect(e.message).toContain('unknown discipline "no-such-thing"');
    expect(e.message).toContain('keeps the one it had');
    // a discipline that clashes with the base registry's is a problem too
    const clash = [
      ...files(),
      { path: 'disciplines/docs.yaml', text: readFileSync(join(BASE, 'disciplines/docs.yaml'), 'utf8') },
    ];
    expect((await refusal(s.apply({ files: clash, vps: ['quant'] }))).message).toContain(
      'the base registry has a discipline "docs" too',
    );
    // a VP the organisation does not have
    const e2 = await refusal(s.apply({ files: files(), vps: ['ceo'] }));
    expect(e2.message).toContain('no VP "ceo" in organisation fund-ops (its VPs: quant, risk, ir)');
    expect(s.current()).toEqual(first);
    expect(info.org).toEqual(first);
    expect(readdirSync(join(home, 'org')).sort()).toEqual(kept);
    // and a restarted node still has it
    const again = store(home);
    again.s.load();
    expect(again.s.current()).toEqual(first);
  });

  it('takes paths that leave the org folder nowhere: the schema refuses them', () => {
    for (const path of [
      '../x',
      'disciplines/../../x.yaml',
      '/etc/passwd',
      'disciplines/a/b.yaml',
      'agents/.md',
      'notes.txt',
    ]) {
      const r = parseOpArgs('org-apply', {
        files: [
          { path: 'org.yaml', text: 'x' },
          { path, text: 'x' },
        ],
        vps: ['a'],
      });
      expect(r.ok, path).toBe(false);
      if (!r.ok) expect(r.problem).toContain('not a file of an organisation overlay');
    }
    const noOrg = parseOpArgs('org-apply', { files: [{ path: 'agents/a.md', text: 'x' }], vps: ['a'] });
    expect(noOrg.ok).toBe(false);
    const badVp = parseOpArgs('org-apply', { files: [{ path: 'org.yaml', text: 'x' }], vps: ['../a'] });
    expect(badVp.ok).toBe(false);
  });

  it('reads back what it was given when the node restarts, and replaces it whole with the next', async () => {
    const { s, home } = store();
    const first = await s.apply({ files: files(), vps: ['quant'] });
    const restarted = store(home);
    restarted.s.load();
    expect(restarted.s.current()).toEqual(first);
    expect(restarted.info.org).toEqual(first);
    expect(restarted.info.warnings).toBeUndefined();
    const second = await restarted.s.apply({
      files: edit(files(), 'org.yaml', (t) => t.replace('name: Risk', 'name: Risk Office')),
      vps: ['risk'],
    });
    expect(second.vps.map((v) => v.name)).toEqual(['Risk Office']);
    // one organisation's folder, and the pointer to it: the earlier one is gone
    expect(readdirSync(join(home, 'org')).filter((n) => n.startsWith('o-'))).toHaveLength(1);
    const third = store(home);
    third.s.load();
    expect(third.s.current()).toEqual(second);
  });

  it('does not follow a link planted in its org folder: the organisation is not used, and the node says why', async () => {
    const { s, home } = store();
    await s.apply({ files: files(), vps: ['quant'] });
    const outside = tempDir('agency-outside-');
    cleanup.push(outside.remove);
    // a file that would pass as the discipline, elsewhere
    const target = join(outside.path, 'stress-testing.yaml');
    writeFileSync(
      target,
      readFileSync(join(ORG, 'disciplines/stress-testing.yaml'), 'utf8').replace('Market Stress Testing', 'Planted'),
    );
    const planted = join(orgFolder(home), 'disciplines', 'stress-testing.yaml');
    rmSync(planted);
    symlinkSync(target, planted);
    const restarted = store(home);
    restarted.s.load();
    expect(restarted.s.current()).toBeNull();
    expect(restarted.s.registry()).toBeNull();
    expect(restarted.info.org).toBeUndefined();
    expect(restarted.info.warnings?.join('\n')).toContain('disciplines/stress-testing.yaml: is a link (not followed)');
    expect(restarted.info.warnings?.join('\n')).not.toContain('Planted');
  });

  it('takes the place of a link planted as its org folder instead of writing through it', async () => {
    const { s, home } = store();
    const outside = tempDir('agency-outside-');
    cleanup.push(outside.remove);
    symlinkSync(outside.path, join(home, 'org'));
    // nothing is read through it as the node starts
    s.load();
    expect(s.current()).toBeNull();
    await s.apply({ files: files(), vps: ['quant'] });
    expect(lstatSync(join(home, 'org')).isDirectory()).toBe(true);
    expect(readdirSync(outside.path)).toEqual([]);
    expect(s.current()?.vps.map((v) => v.id)).toEqual(['quant']);
  });

  it('a stored organisation that no longer passes is a warning of the node, not its end', async () => {
    const { s, home } = store();
    await s.apply({ files: files(), vps: ['quant'] });
    writeFileSync(join(orgFolder(home), 'org.yaml'), 'schema: 1\nid: fund-ops\n');
    const restarted = store(home);
    expect(() => restarted.s.load()).not.toThrow();
    expect(restarted.s.current()).toBeNull();
    expect(restarted.info.warnings?.[0]).toMatch(/the organisation this node was given is not used: .*org\.yaml/);
    // a pointer that names a folder outside is not read either
    writeFileSync(join(home, 'org', 'current'), JSON.stringify({ folder: '../../etc', vps: ['quant'] }));
    const third = store(home);
    third.s.load();
    expect(third.s.current()).toBeNull();
    expect(third.info.warnings?.[0]).toContain('cannot be read');
    // none at all is no warning
    rmSync(join(home, 'org'), { recursive: true });
    mkdirSync(join(home, 'org'));
    const fourth = store(home);
    fourth.s.load();
    expect(fourth.info.warnings).toBeUndefined();
    expect(existsSync(join(home, 'org', 'current'))).toBe(false);
  });
});

describe('NodeOrgStore, what it reads and writes', () => {
  it('refuses a charter that does not render, when given and when read back', async () => {
    const { s, home } = store();
    const broken = edit(files(), 'charters/stress-testing.md.hbs', (t) => `${t}\n{{#if task}}unclosed\n`);
    const e = await refusal(s.apply({ files: broken, vps: ['quant'] }));
    expect(e.code).toBe('bad-request');
    expect(e.message).toMatch(/charters\/stress-testing\.md\.hbs:\d+: template error/);
    expect(s.current()).toBeNull();
    await s.apply({ files: files(), vps: ['quant'] });
    writeFileSync(join(orgFolder(home), 'charters', 'stress-testing.md.hbs'), '{{nope.}}\n');
    const restarted = store(home);
    restarted.s.load();
    expect(restarted.s.current()).toBeNull();
    expect(restarted.info.warnings?.join('\n')).toMatch(/charters\/stress-testing\.md\.hbs:1: template error/);
  });

  it("points its registry's files into the folder it keeps", async () => {
    const { s, home } = store();
    await s.apply({ files: files(), vps: ['quant'] });
    const reg = s.registry()!;
    const kept = orgFolder(home);
    expect(reg.root).toBe(kept);
    const charter = reg.charters.get('stress-testing')!.value.path;
    expect(charter).toBe(join(kept, 'charters', 'stress-testing.md.hbs'));
    expect(existsSync(charter)).toBe(true);
    // the base's stay where they are
    expect(reg.charters.get('docs')!.value.path).toBe(join(BASE, 'charters', 'docs.md.hbs'));
  });

  it('flushes the files and their folders to disk before the pointer names them', () => {
    const home = tempDir('agency-org-sync-');
    cleanup.push(home.remove);
    const script = `
      import { NodeOrgStore } from ${JSON.stringify(join(SRC, 'node/org-store.ts'))};
      import { readOrgFiles } from ${JSON.stringify(join(SRC, 'cli/org-files.ts'))};
      const s = new NodeOrgStore({ home: ${JSON.stringify(home.path)}, base: ${JSON.stringify(BASE)}, info: { name: 'n1' } });
      await s.apply({ files: readOrgFiles(${JSON.stringify(ORG)}), vps: ['quant'] });
    `;
    const r = spawnSync(
      'strace',
      [
        '-f',
        '-y',
        '-qq',
        '-e',
        'trace=fsync,rename,renameat,renameat2',
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8', cwd: join(SRC, '..') },
    );
    expect(r.status, r.stderr).toBe(0);
    const calls = r.stderr.split('\n').filter((l) => /\b(fsync|rename\w*)\(/.test(l) && l.includes(home.path));
    const at = (re: RegExp) => calls.findIndex((l) => re.test(l));
    const pointer = at(/rename\w*\(.*current\.\d+\.tmp.*current"/);
    expect(pointer, calls.join('\n')).toBeGreaterThan(0);
    for (const f of [
      'org.yaml',
      'disciplines/stress-testing.yaml',
      'charters/stress-testing.md.hbs',
      'agents/scenario-simulator.md',
    ])
      expect(at(new RegExp(`fsync\\(\\d+<[^>]*/o-[0-9a-f]+/${f.replace(/\./g, '\\.')}>`)), f).toBeGreaterThanOrEqual(0);
    const folderSync = at(/fsync\(\d+<[^>]*\/o-[0-9a-f]+>\)/);
    expect(folderSync).toBeGreaterThanOrEqual(0);
    // the folder's entry in org/ is on the disk before the pointer names it
    expect(calls.slice(folderSync, pointer).some((l) => /fsync\(\d+<[^>]*\/org>\)/.test(l))).toBe(true);
  });

  it('a folder it cannot list is a warning at start, not an exception that stops the node', async () => {
    const { s, home } = store();
    await s.apply({ files: files(), vps: ['quant'] });
    // as root without the capabilities that let it read past permissions: its owner, who cannot list one folder
    chmodSync(join(orgFolder(home), 'disciplines'), 0o000);
    const script = `
      import { NodeOrgStore } from ${JSON.stringify(join(SRC, 'node/org-store.ts'))};
      const info = { name: 'n1' };
      const s = new NodeOrgStore({ home: ${JSON.stringify(home)}, base: ${JSON.stringify(BASE)}, info });
      s.load();
      console.log(JSON.stringify({ current: s.current(), warnings: info.warnings }));
    `;
    const r = spawnSync(
      'setpriv',
      [
        '--bounding-set',
        '-dac_override,-dac_read_search',
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8', cwd: join(SRC, '..'), env: { ...process.env, HOME: home } },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { current: unknown; warnings: string[] };
    expect(out.current).toBeNull();
    expect(out.warnings.join('\n')).toContain('disciplines: cannot be listed (EACCES)');
  });
});

describe('the size of an organisation', () => {
  it('is measured in bytes as sent, and refused before a frame could not carry it', () => {
    // 5 million characters of CJK: under 16 million characters, but 15 MiB as UTF-8 JSON
    const big = '量'.repeat(5_000_000);
    const dir = tempDir('agency-org-big-');
    cleanup.push(dir.remove);
    cpSync(ORG, dir.path, { recursive: true });
    writeFileSync(
      join(dir.path, 'agents', 'scenario-simulator.md'),
      `${readFileSync(join(ORG, 'agents', 'scenario-simulator.md'), 'utf8')}${big}\n`,
    );
    expect(() => readOrgFiles(dir.path)).toThrow(
      /are 14\.3 MiB as sent \(JSON, UTF-8\), over the 12\.0 MiB an organisation may send/,
    );
    const sent = [...files(), { path: 'agents/big.md', text: big }];
    const r = parseOpArgs('org-apply', { files: sent, vps: ['risk'] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain('over the 12.0 MiB an organisation may send');
    // what the node takes, a frame carries: the largest request it accepts is under the frame limit
    const fill = 'x'.repeat(MAX_ORG_BYTES - orgFilesBytes(files()) - 200);
    const most = [...files(), { path: 'agents/fill.md', text: fill }];
    expect(parseOpArgs('org-apply', { files: most, vps: ['risk'] }).ok).toBe(true);
    expect(encodeJson({ id: 1, op: 'org-apply', args: { files: most, vps: ['risk'] } }).length).toBeLessThan(MAX_FRAME);
  });
});

describe('org-apply over the node socket', () => {
  it("is the operator's alone; the node's watchers hear of the new organisation, and its status carries it", async () => {
    const node = offlineNode('agency-org-op-');
    cleanup.push(() => void node.close());
    await node.listen();
    const open = (role: 'cockpit' | 'hook', more: object = {}) => {
      const c = new Connection(connect(node.paths.socket), { role, agent: 'test', ...more });
      cleanup.push(() => c.close());
      return c;
    };
    const watcher = open('cockpit');
    await watcher.ready;
    const events: NodeEvent[] = [];
    watcher.onEvent((e) => events.push(e));
    await watcher.request('watch', {});
    const hook = open('hook', { session: 's-aaa111', token: node.tokens.token('s-aaa111') });
    await hook.ready;
    const refused = await refusal(hook.request('org-apply', { files: files(), vps: ['quant'] }));
    expect(refused.code).toBe('forbidden');
    const org = await watcher.request('org-apply', { files: files(), vps: ['risk'] });
    expect(org.vps.map((v) => v.id)).toEqual(['risk']);
    await until('the node-info event', () => events.some((e) => e.kind === 'node-info'));
    const e = events.find((x) => x.kind === 'node-info')!;
    expect(e.kind === 'node-info' && e.info.org).toEqual(org);
    expect((await watcher.request('status', {})).node.org).toEqual(org);
    // a bad overlay is refused with the node's problems, as a bad request
    const bad = edit(files(), 'org.yaml', (t) => t.replace('schema: 1', 'schema: 2'));
    const e2 = await refusal(watcher.request('org-apply', { files: bad, vps: ['risk'] }));
    expect([e2.code, e2.message]).toEqual([
      'bad-request',
      expect.stringContaining('org.yaml:1: schema: schema must be 1'),
    ]);
  });
});
