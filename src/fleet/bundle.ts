/**
 * The node agent as it is pushed to a node: agency's built JavaScript, its registry, and node-pty's native
 * addon for the node's platform (built here for linux-x64, node-pty's own prebuilds for darwin). Made
 * deterministically (sorted entries, fixed times, no owners), so that its hash names its contents.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { create } from 'tar';
import { packageRoot } from '../compiler/agency-paths.js';

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
      throw new BundleError('the linux-x64 agent is built on a linux-x64 machine: push from one, or build node-pty there');
    const f = 'build/Release/pty.node';
    if (!existsSync(join(ptyDir, f))) throw new BundleError(`${join(ptyDir, f)} is missing: run npm install (node-pty builds it)`);
    return [f];
  }
  const dir = join(ptyDir, 'prebuilds', platform);
  if (!existsSync(dir)) throw new BundleError(`node-pty has no prebuilt addon for ${platform} (${dir})`);
  return readdirSync(dir).sort().map((n) => `prebuilds/${platform}/${n}`);
}

/** Builds (or reuses, in dir) the agent bundle for one platform. */
export async function buildBundle(platform: Platform, outDir: string): Promise<Bundle> {
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const stage = mkdtempSync(join(tmpdir(), 'agency-bundle-'));
  try {
    const put = (from: string, to: string) => {
      mkdirSync(dirname(join(stage, to)), { recursive: true });
      cpSync(from, join(stage, to));
    };
    if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new BundleError('agency is not built: run npm run build');
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify({ name: 'agency', version: pkg.version, type: 'module', private: true }, null, 2)}\n`);
    put(join(root, 'bin', 'agency'), 'bin/agency');
    // only this build's chunks (dist/ also keeps the previous build's, for processes still running it)
    const buildList = join(root, 'dist', 'chunks', '.build');
    const chunks = existsSync(buildList) ? new Set(readFileSync(buildList, 'utf8').split('\n').filter(Boolean)) : null;
    const keep = (r: string) => !r.endsWith('.map') && !r.endsWith('.build') && (!r.startsWith('chunks/') || chunks === null || chunks.has(r.slice(7)));
    for (const f of walk(join(root, 'dist'), keep)) put(join(root, 'dist', f), `dist/${f}`);
    for (const f of walk(join(root, 'registry'), () => true)) put(join(root, 'registry', f), `registry/${f}`);
    const ptyDir = join(root, 'node_modules', 'node-pty');
    put(join(ptyDir, 'package.json'), 'node_modules/node-pty/package.json');
    for (const f of walk(join(ptyDir, 'lib'), (r) => r.endsWith('.js') && !r.includes('.test.') && !r.includes('conpty') && !r.includes('windows')))
      put(join(ptyDir, 'lib', f), `node_modules/node-pty/lib/${f}`);
    for (const f of nativeFiles(ptyDir, platform)) put(join(ptyDir, f), `node_modules/node-pty/${f}`);

    const files = walk(stage, () => true);
    mkdirSync(outDir, { recursive: true });
    const tmp = join(outDir, `agent-${platform}.${process.pid}.tgz`);
    await create({ gzip: { level: 9 }, file: tmp, cwd: stage, portable: true, mtime: new Date('2020-01-01T00:00:00Z'), noDirRecurse: true }, files);
    const data = readFileSync(tmp);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const file = join(outDir, `agent-${platform}-${sha256.slice(0, 16)}.tgz`);
    cpSync(tmp, file);
    rmSync(tmp, { force: true });
    return { platform, file, sha256, bytes: data.length, version: pkg.version };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
