/** The command line as a user meets it: clear one-line errors with the documented exit codes, JSON where asked, and no crash when a reader goes away. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agency, AGENCY_BIN } from '../helpers/agency.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
afterAll(() => dir.remove());
const config = join(dir.path, 'config.json');
const env = { ...process.env, AGENCY_CONFIG: config, AGENCY_HOME: join(dir.path, 'home') };
const run = (args: string[]) => agency(args, { env, cwd: dir.path });

describe('the agency command line', () => {
  it('ends quietly when the reader of its output has gone', async () => {
    const p = spawn(process.execPath, [AGENCY_BIN, 'classify', 'build a react frontend with tests'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stdout.destroy(); // as `agency … | head -1` once head has exited
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => p.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('shows control characters in what an error quotes, never sends them', () => {
    const r = run(['registry', 'check', join(dir.path, 'no\x1b[2Jsuch\x9b1m')]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/[\x1b\x9b]/);
    expect(r.stderr).toContain('no\\u001b[2Jsuch\\u009b1m: registry folder does not exist');
    const file = join(dir.path, 'a-file');
    writeFileSync(file, '');
    expect(agency(['registry', 'check', 'a-file'], { env, cwd: dir.path }).stderr).toContain(
      `${file}: registry is not a folder`,
    );
  });

  it('nodes add checks its values, says when it replaces a node, and answers in JSON when asked', () => {
    const bad = (args: string[], message: string) => {
      const r = run(['nodes', 'add', 'n1', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    };
    bad(['--host', 'h', '--port', 'abc'], '--port must be a whole number from 1 to 65535, not "abc"');
    bad(['--host', 'h', '--port', '0x16'], 'not "0x16"');
    bad(['--host', 'h', '--port', '70000'], 'not "70000"');
    bad(['--host', 'a b'], 'a host is a name or an address, without spaces or control characters');
    bad(['--host', 'h\u202eost'], 'a host is a name or an address, without spaces or control characters');
    const added = run(['nodes', 'add', 'n1', '--host', 'h1', '--port', '2222', '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({
      schema: 1,
      config,
      node: { name: 'n1', host: 'h1', port: 2222 },
      replaced: false,
      localAdded: true,
    });
    const again = run(['nodes', 'add', 'n1', '--host', 'h2', '--identity', join(dir.path, 'no-key')]);
    expect(again.stdout).toContain('node n1 replaced in');
    expect(again.stderr).toContain('--identity');
    expect(JSON.parse(run(['nodes', 'remove', 'n1', '--json']).stdout)).toEqual({
      schema: 1,
      config,
      removed: 'n1',
      remaining: 1,
    });
    expect(run(['nodes', 'remove', 'local']).code).toBe(0);
  });

  it('refuses a configuration that is not an object', () => {
    for (const [text, what] of [
      ['null', 'null'],
      ['[1, 2]', 'a list'],
      ['5', 'a number'],
    ] as const) {
      writeFileSync(config, text);
      const r = run(['nodes', '--json']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `agency: ${config}: the configuration must be a JSON object, like {"nodes": []}, not ${what}\n`,
      );
    }
    writeFileSync(config, '{"nodes": []}');
  });

  it('gives usage errors exit code 2', () => {
    for (const args of [
      ['tui', '--fps', '0'],
      ['tui', '--refresh', 'soon'],
      ['compile', '--discipline', 'nope', '--task', 't', '--dir', dir.path],
      ['pause', 's-1', '--all'],
    ]) {
      const r = run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
  });
});
