/**
 * After `npm install` in a checkout: applies patches/ to the dependencies they name (patch-package), and
 * fails the install if one no longer applies. An installed package has no patches/ folder: its dist/ was
 * built from the patched dependencies already, so there is nothing to do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, 'patches'))) {
  const r = spawnSync('patch-package', ['--error-on-fail'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  process.exit(r.status ?? 1);
}
