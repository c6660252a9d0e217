/** ~/.agency/node.env: its variables reach the node, its log names them without their values, and lines that are not KEY=VALUE are reported by number. */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENCY_BIN } from '../helpers/agency.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const dir = tempDir('ag-env-');
afterAll(() => dir.remove());

describe('node.env', () => {
  it('is read when the node starts; bad lines are named by number, values never logged', async () => {
    const home = join(dir.path, 'h');
    mkdirSync(home);
    writeFileSync(
      join(home, 'node.env'),
      [
        '# a comment',
        'ANTHROPIC_API_KEY=sk-ant-do-not-log-me',
        'BADLINE without equals',
        'export AGENCY_EXTRA="x y"',
        'sk-ant-stray-secret',
      ].join('\n'),
    );
    const p = spawn(process.execPath, [AGENCY_BIN, 'node', 'serve'], {
      env: { ...process.env, AGENCY_HOME: home, ANTHROPIC_API_KEY: undefined, AGENCY_EXTRA: undefined },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    p.stderr.on('data', (d) => (log += d));
    try {
      await until('the node to serve', () => log.includes('serving'), 30_000);
      expect(log).toContain('lines 3, 5 ignored (not KEY=VALUE)');
      expect(log).toMatch(/from node\.env: ANTHROPIC_API_KEY AGENCY_EXTRA/);
      expect(log).not.toContain('sk-ant');
    } finally {
      p.kill('SIGTERM');
      await new Promise((r) => p.on('close', r));
    }
  });
});
