import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardCommand } from '../../src/compiler/index.js';
import { guardScriptPath } from '../../src/paths/package.js';
import { mergePolicy } from '../../src/compiler/policy.js';
import { tempDir } from '../helpers/tmp.js';

let dir: { path: string; remove(): void };
let policyPath: string;

beforeAll(() => {
  dir = tempDir();
  policyPath = join(dir.path, 'policy.json');
  writeFileSync(policyPath, JSON.stringify(mergePolicy(dir.path, [])));
});
afterAll(() => dir.remove());

/** Runs the guard the way Claude Code does: its command line under sh, the call as JSON on stdin. */
function run(input: string, opts: { policy?: string; node?: string } = {}) {
  const cmd = guardCommand(
    { node: opts.node ?? process.execPath, guard: guardScriptPath() },
    opts.policy ?? policyPath,
  );
  const r = spawnSync('sh', ['-c', cmd], { input, encoding: 'utf8', cwd: dir.path });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}
const call = (command: string) =>
  JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, cwd: dir.path });

describe('the guard program', () => {
  it('exits 0 for an allowed call and 2 with the reason for a forbidden one', () => {
    expect(run(call('ls -la'))).toEqual({ code: 0, stderr: '', stdout: '' });
    const r = run(call('rm -rf /'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^agency guard blocked this call: .*whole worktree/);
    expect(r.stderr).not.toMatch(/could not run/);
  });
  it('asks by printing a PreToolUse permission decision, and exits 0', () => {
    const r = run(call("echo 'rm -rf build' | bash"));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'ask',
        permissionDecisionReason: expect.stringMatching(/^agency guard: bash runs the script it reads from a pipe/),
      },
    });
  });
  it('fails closed when the policy is missing or malformed', () => {
    const missing = run(call('ls'), { policy: join(dir.path, 'nope.json') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the policy .*ENOENT/);
    const bad = join(dir.path, 'bad.json');
    writeFileSync(bad, '{"version": 1, "root": "relative"}');
    const malformed = run(call('ls'), { policy: bad });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/malformed/);
  });
  it('fails closed on input it cannot read', () => {
    const r = run('{not json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/malformed hook input/);
  });
  it('fails closed when its interpreter cannot start', () => {
    const r = run(call('ls'), { node: '/nonexistent/node' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not run \(exit 127\)/);
  });
});
