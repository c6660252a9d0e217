/** The agent bundle: built once for the same inputs, kept between pushes, rebuilt when its file is damaged, old ones pruned. */
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleCacheDir, BundleError, cachedBundle, type Platform } from '../../src/fleet/bundle.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
afterAll(() => dir.remove());

// the linux-x64 agent is built on linux-x64 only; node-pty ships darwin's addon prebuilt, so any machine builds that
const P: Platform = process.platform === 'linux' && process.arch === 'x64' ? 'linux-x64' : 'darwin-arm64';
const ADDON = P === 'linux-x64' ? 'build/Release/pty.node' : `prebuilds/${P}/pty.node`;

describe('the agent bundle cache', () => {
  it('builds a bundle once, reuses it, rebuilds a damaged one, and keeps only the last few', async () => {
    const cache = join(dir.path, 'cache');
    const first = await cachedBundle(P, cache);
    const listed = spawnSync('tar', ['tzf', first.file], { encoding: 'utf8' }).stdout.split('\n');
    expect(listed).toEqual(
      expect.arrayContaining(['package.json', 'bin/agency', 'dist/cli/main.js', `node_modules/node-pty/${ADDON}`]),
    );
    expect(listed.some((f) => f.startsWith('registry/disciplines/'))).toBe(true);
    const built = statSync(first.file).mtimeMs;

    const again = await cachedBundle(P, cache);
    expect(again).toEqual(first);
    expect(statSync(again.file).mtimeMs).toBe(built);

    truncateSync(first.file, 100);
    const mended = await cachedBundle(P, cache);
    expect(mended.sha256).toBe(first.sha256); // the same inputs make the same bytes
    expect(statSync(mended.file).size).toBe(first.bytes);

    // bundles of older builds: the three newest entries stay, with their files; the rest go
    for (let n = 0; n < 4; n++) {
      const file = join(cache, `agent-${P}-old${n}.tgz`);
      writeFileSync(file, 'old');
      const meta = join(cache, `agent-${P}-in-old${n}.json`);
      writeFileSync(meta, JSON.stringify({ ...first, file, sha256: `old${n}`, bytes: 3 }));
      utimesSync(meta, new Date(2020, 0, n + 1), new Date(2020, 0, n + 1));
    }
    for (const f of readdirSync(cache))
      if (f.startsWith(`agent-${P}-in-`) && !f.includes('old')) writeFileSync(join(cache, f), 'not json');
    const rebuilt = await cachedBundle(P, cache);
    expect(rebuilt.sha256).toBe(first.sha256);
    const left = readdirSync(cache);
    const metas = left.filter((f) => f.includes('-in-')).sort();
    expect(metas).toHaveLength(3);
    expect(metas.slice(0, 1)[0]).toMatch(new RegExp(`^agent-${P}-in-[0-9a-f]{32}\\.json$`));
    expect(metas.slice(1)).toEqual([`agent-${P}-in-old2.json`, `agent-${P}-in-old3.json`]);
    expect(left.filter((f) => f.endsWith('.tgz')).sort()).toEqual([
      `agent-${P}-${first.sha256.slice(0, 16)}.tgz`,
      `agent-${P}-old2.tgz`,
      `agent-${P}-old3.tgz`,
    ]);
  });

  it('says where it could not write, and what to set instead', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: a file where the folder should be fails for everyone
      const blocked = join(dir.path, 'blocked');
      writeFileSync(blocked, '');
      await expect(cachedBundle(P, join(blocked, 'bundles'))).rejects.toThrow(BundleError);
      await expect(cachedBundle(P, join(blocked, 'bundles'))).rejects.toThrow(
        /cannot be written to .*blocked\/bundles \(ENOTDIR\): .*AGENCY_HOME or XDG_CACHE_HOME/,
      );
    } else {
      const ro = join(dir.path, 'ro');
      writeFileSync(join(dir.path, 'x'), '');
      chmodSync(dir.path, 0o500);
      try {
        await expect(cachedBundle(P, join(ro, 'bundles'))).rejects.toThrow(/cannot be written to .*\(EACCES\)/);
      } finally {
        chmodSync(dir.path, 0o700);
      }
    }
  });

  it('lives under AGENCY_HOME when it is set, else in the user cache folder', () => {
    expect(bundleCacheDir({ AGENCY_HOME: '/a/h', HOME: '/home/u' })).toBe('/a/h/cache/bundles');
    expect(bundleCacheDir({ XDG_CACHE_HOME: '/c', HOME: '/home/u' })).toBe('/c/agency/bundles');
    expect(bundleCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/agency/bundles');
  });
});
