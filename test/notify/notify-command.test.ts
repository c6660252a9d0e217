/** `agency notify` as a user runs it: with nothing to tell through, a usage error that says what to set. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { notifySettings } from '../../src/cli/notify-command.js';
import { agency } from '../helpers/agency.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

describe('agency notify', () => {
  it('refuses to run with the OS notification off and no command, naming both keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agency-notify-cli-'));
    dirs.push(dir);
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ notify: { os: false } }));
    const r = agency(['notify'], { env: { ...process.env, AGENCY_CONFIG: config, AGENCY_HOME: join(dir, 'home') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('notify.os is false and notify.command is not set');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('takes the OS notification as on unless the config turns it off', () => {
    expect(notifySettings(() => ({ nodes: [] }))).toEqual({ os: true, command: null });
    expect(notifySettings(() => ({ nodes: [], notify: { os: false, command: 'true' } }))).toEqual({
      os: false,
      command: 'true',
    });
  });
});
