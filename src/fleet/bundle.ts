/**
 * The node agent as it is pushed to a node: agency's built JavaScript, its registry, and node-pty's native
 * addon for the node's platform (built here for linux-x64, node-pty's own prebuilds for darwin). Made
 * deterministically (sorted entries, fixed times, no owners), so that its hash names its contents.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { create } from 'tar';
import { packageRoot } from '../paths/package.js';

export const PLATFORMS = ['linux-x64', 'darwin-arm64', 'darwin-x64'] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface Bundle {
  platform: Platform;
  file: string;
  sha256: string;
  bytes: number;
  version: string;
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

function walk(dir: string, keep: (rel: string) => boolean, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = relative(base, p);
    if (statSync(p).isDirectory()) out.push(...walk(p, keep, base));
    else if (keep(rel)) out.push(rel);
  }
  return out;
}

/** Where node-pty keeps the native files for a platform, relative to its package folder. */
function nativeFiles(ptyDir: string, platform: Platform): string[] {
  if (platform === 'linux-x64') {
    if (process.platform !== 'linux' || process.arch !== 'x64')
      throw new BundleError(
        'the linux-x64 agent is built on a linux-x64 machine: push from one, or build node-pty there',
      );
    const f = 'build/Release/pty.node';
    if (!existsSync(join(ptyDir, f)))
      throw new BundleError(`${join(ptyDir, f)} is missing: run npm install (node-pty builds it)`);
    return [f];
  }
  const dir = join(ptyDir, 'prebuilds', platform);
  if (!existsSync(dir)) throw new BundleError(`node-pty has no prebuilt addon for ${platform} (${dir})`);
  return readdirSync(dir)
    .sort()
    .map((n) => `prebuilds/${platform}/${n}`);
}

interface Inputs {
  version: string;
  /** where each file comes from, by where it goes in the bundle */
  files: Map<string, string>;
  /** files written for the bundle, by where they go */
  generated: Map<string, string>;
}

/** What goes into the agent bundle for one platform. */
function inputs(platform: Platform): Inputs {
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
    throw new BundleError('agency is not built: run npm run build');
  const files = new Map<string, string>();
  files.set('bin/agency', join(root, 'bin', 'agency'));
  // only this build's chunks (dist/ also keeps the previous build's, for processes still running it)
  const buildList = join(root, 'dist', 'chunks', '.build');
  const chunks = existsSync(buildList) ? new Set(readFileSync(buildList, 'utf8').split('\n').filter(Boolean)) : null;
  const keep = (r: string) =>
    !r.endsWith('.map') &&
    !r.endsWith('.build') &&
    (!r.startsWith('chunks/') || chunks === null || chunks.has(r.slice(7)));
  for (const f of walk(join(root, 'dist'), keep)) files.set(`dist/${f}`, join(root, 'dist', f));
  for (const f of walk(join(root, 'registry'), () => true)) files.set(`registry/${f}`, join(root, 'registry', f));
  const ptyDir = join(root, 'node_modules', 'node-pty');
  files.set('node_modules/node-pty/package.json', join(ptyDir, 'package.json'));
  for (const f of walk(
    join(ptyDir, 'lib'),
    (r) => r.endsWith('.js') && !r.includes('.test.') && !r.includes('conpty') && !r.includes('windows'),
  ))
    files.set(`node_modules/node-pty/lib/${f}`, join(ptyDir, 'lib', f));
  for (const f of nativeFiles(ptyDir, platform)) files.set(`node_modules/node-pty/${f}`, join(ptyDir, f));
  const generated = new Map([
    [
      'package.json',
      `${JSON.stringify({ name: 'agency', version: pkg.version, type: 'module', private: true }, null, 2)}\n`,
    ],
  ]);
  return { version: pkg.version, files, generated };
}

/** A hash of everything that goes into a bundle: the same inputs make the same bundle. */
function fingerprint(platform: Platform, i: Inputs): string {
  const h = createHash('sha256').update(`agency-bundle 1\0${platform}\0`);
  const all = [
    ...[...i.files].map(([to, from]) => [to, readFileSync(from)] as const),
    ...[...i.generated].map(([to, text]) => [to, Buffer.from(text)] as const),
  ];
  for (const [to, data] of all.sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    h.update(`${to}\0${data.length}\0`).update(data);
  }
  return h.digest('hex');
}

/** Builds the agent bundle for one platform into outDir. */
export async function buildBundle(platform: Platform, outDir: string): Promise<Bundle> {
  return pack(platform, inputs(platform), outDir);
}

async function pack(platform: Platform, i: Inputs, outDir: string): Promise<Bundle> {
  const stage = mkdtempSync(join(tmpdir(), 'agency-bundle-'));
  try {
    for (const [to, from] of i.files) {
      mkdirSync(dirname(join(stage, to)), { recursive: true });
      cpSync(from, join(stage, to));
    }
    for (const [to, text] of i.generated) writeFileSync(join(stage, to), text);
    const files = walk(stage, () => true);
    mkdirSync(outDir, { recursive: true });
    const tmp = join(outDir, `agent-${platform}.${process.pid}.tgz`);
    await create(
      {
        gzip: { level: 6 },
        file: tmp,
        cwd: stage,
        portable: true,
        mtime: new Date('2020-01-01T00:00:00Z'),
        noDirRecurse: true,
      },
      files,
    );
    const data = readFileSync(tmp);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const file = join(outDir, `agent-${platform}-${sha256.slice(0, 16)}.tgz`);
    renameSync(tmp, file);
    return { platform, file, sha256, bytes: data.length, version: i.version };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Where bundles are kept between pushes: under AGENCY_HOME when it is set, else in the user's cache folder. */
export function bundleCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENCY_HOME) return join(env.AGENCY_HOME, 'cache', 'bundles');
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'agency', 'bundles');
}

const KEEP_PER_PLATFORM = 3;

/**
 * The agent bundle for one platform, from the cache when its inputs have not changed since it was built
 * (they are hashed, not dated), else built and kept there; older bundles of the platform are removed
 * past the last few. A cache entry that cannot be read is built again.
 */
export async function cachedBundle(platform: Platform, cacheDir = bundleCacheDir()): Promise<Bundle> {
  const i = inputs(platform);
  const key = fingerprint(platform, i);
  const meta = join(cacheDir, `agent-${platform}-in-${key.slice(0, 32)}.json`);
  try {
    const b = JSON.parse(readFileSync(meta, 'utf8')) as Bundle;
    if (b.platform === platform && statSync(b.file).size === b.bytes) return b;
  } catch {
    // not cached (or unreadable): build it
  }
  try {
    const b = await pack(platform, i, cacheDir);
    const tmp = `${meta}.${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(b)}\n`);
    renameSync(tmp, meta);
    prune(cacheDir, platform);
    return b;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    throw new BundleError(
      `the agent bundle cannot be written to ${cacheDir} (${code}): make it writable, or set AGENCY_HOME or XDG_CACHE_HOME to a folder that is`,
    );
  }
}

function prune(cacheDir: string, platform: Platform): void {
  const metas = readdirSync(cacheDir)
    .filter((n) => n.startsWith(`agent-${platform}-in-`) && n.endsWith('.json'))
    .map((n) => ({ path: join(cacheDir, n), t: statSync(join(cacheDir, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  const kept = new Set<string>();
  for (const m of metas.slice(0, KEEP_PER_PLATFORM)) {
    try {
      kept.add((JSON.parse(readFileSync(m.path, 'utf8')) as Bundle).file);
    } catch {
      rmSync(m.path, { force: true });
    }
  }
  for (const m of metas.slice(KEEP_PER_PLATFORM)) rmSync(m.path, { force: true });
  for (const n of readdirSync(cacheDir)) {
    const p = join(cacheDir, n);
    if (n.startsWith(`agent-${platform}-`) && n.endsWith('.tgz') && !kept.has(p)) rmSync(p, { force: true });
  }
}
