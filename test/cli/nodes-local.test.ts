/**
 * Adding a remote node keeps this machine's node in the fleet (regression: after `nodes add box1 …` the
 * local sessions vanished from `status`, and `run` said no node is reachable), and taking it out is the
 * operator's choice. `nodes add --ssh` takes only an alias a Host entry of a real ~/.ssh/config names.
 * A real node (server and session table over a temporary home, on its Unix socket) is the local node.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineNode } from '../helpers/node-server.js';
import { agencyAsync, closedPort, operatorEnv, sshKey } from '../helpers/operator.js';
import { sessionRecord } from '../helpers/state-records.js';
import { tempDir } from '../helpers/tmp.js';

const node = offlineNode('ag-local-', {
  state: (home) => ({ version: 1, sessions: [sessionRecord(home, 's-aaa111')], decisions: [] }),
});
const home = tempDir('ag-op-');
const env = operatorEnv(home.path, { AGENCY_HOME: node.dir.path });
const config = env.AGENCY_CONFIG!;
const agency = (...args: string[]) => agencyAsync(args, env);
const status = async () => JSON.parse((await agency('status', '--json')).stdout);

beforeAll(() => node.listen());
afterAll(async () => {
  await node.close();
  home.remove();
});

describe('the local node across nodes add and remove', () => {
  it('stays in the fleet when the first remote node is added, with its sessions, until it is removed', async () => {
    const before = await status();
    expect(before.nodes.map((n: { name: string }) => n.name)).toEqual(['local']);
    expect(before.sessions.map((s: { node: string; id: string }) => `${s.node}/${s.id}`)).toEqual(['local/s-aaa111']);

    const port = String(await closedPort());
    const key = sshKey(join(home.path, 'id_test'));
    const add = await agency('nodes', 'add', 'box1', '--host', '127.0.0.1', '--port', port, '--identity', key);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe(
      [
        `node box1 saved in ${config}`,
        'the local node (this machine) stays in the fleet as "local": a configuration that lists nodes uses only those, so it is listed too; agency nodes remove local takes it out',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(readFileSync(config, 'utf8')).nodes).toEqual([
      { name: 'local', local: true },
      { name: 'box1', host: '127.0.0.1', port: Number(port), identityFile: key },
    ]);
    const after = await status();
    expect(after.nodes.map((n: { name: string; state: string }) => [n.name, n.state])).toEqual([
      ['local', 'up'],
      ['box1', 'down'],
    ]);
    expect(after.sessions.map((s: { node: string; id: string }) => `${s.node}/${s.id}`)).toEqual(['local/s-aaa111']);

    // a second remote node adds nothing more
    const again = await agency('nodes', 'add', 'box2', '--host', '127.0.0.2', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ schema: 1, localAdded: false, replaced: false });

    const removed = await agency('nodes', 'remove', 'local');
    expect(removed.code, removed.stderr).toBe(0);
    expect((await status()).nodes.map((n: { name: string }) => n.name)).toEqual(['box1', 'box2']);
    const unknown = await agency('run', 'a task', '--node', 'local');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'agency: unknown node local; configured: box1, box2 (this machine is not one of them: agency nodes add local --local)\n',
    );
    for (const n of ['box1', 'box2']) expect((await agency('nodes', 'remove', n)).code).toBe(0);
    // with no nodes left, this machine's node is the fleet again
    expect((await status()).sessions.map((s: { node: string }) => s.node)).toEqual(['local']);
    const last = await agency('nodes', 'remove', 'local');
    expect(last.code).toBe(1);
    expect(last.stderr).toBe(
      `agency: no nodes are configured in ${config}, so this machine's node "local" is the fleet; add another node before taking it out\n`,
    );
  });

  it('keeps the name local for this machine', async () => {
    const r = await agency('nodes', 'add', 'local', '--host', '10.0.0.9');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "agency: local is the name of this machine's node; give a remote node another name (agency nodes add local --local adds this machine)\n",
    );
  });

  it('names an unknown node as a usage error', async () => {
    const r = await agency('run', 'a task', '--node', 'nosuch');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'agency: no nodes are configured, so there is only the local node; unknown: nosuch (add nodes with agency nodes add)\n',
    );
  });
});

describe('nodes add --ssh', () => {
  const sshConfig = join(home.path, '.ssh', 'config');

  it('refuses an alias no Host entry names, with or without a ~/.ssh/config, and changes nothing', async () => {
    const before = existsSync(config) ? readFileSync(config, 'utf8') : null;
    const refused = async () => {
      const r = await agency('nodes', 'add', 'studio', '--ssh', 'nosuchalias');
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `agency: no Host entry of ${sshConfig} matches "nosuchalias": add one (Host nosuchalias, with its HostName and User), or give the node by --host\n`,
      );
      expect(existsSync(config) ? readFileSync(config, 'utf8') : null).toBe(before);
    };
    await refused();
    mkdirSync(join(home.path, '.ssh'), { recursive: true });
    // a catch-all Host * applies to every name, and names none
    writeFileSync(sshConfig, 'Host *\n  ServerAliveInterval 30\nHost studio-*\n  User ops\n');
    await refused();
  });

  it('takes an alias a Host entry names, also through an Include', async () => {
    mkdirSync(join(home.path, '.ssh', 'conf.d'), { recursive: true });
    writeFileSync(sshConfig, 'Include conf.d/*\nHost *\n  User ops\n');
    writeFileSync(join(home.path, '.ssh', 'conf.d', 'fleet'), 'Host studio-01 studio-02\n  HostName 10.0.0.11\n');
    const r = await agency('nodes', 'add', 'studio', '--ssh', 'studio-02', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).node).toEqual({ name: 'studio', ssh: 'studio-02' });
    expect((await agency('nodes', 'remove', 'studio')).code).toBe(0);
  });
});
