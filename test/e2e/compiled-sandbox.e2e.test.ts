/**
 * A folder compiled by `agency compile` alone (no node): Claude Code runs its Bash in the OS sandbox
 * (bubblewrap here), with the key of the environment Claude Code itself uses unset for every command.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agency } from '../helpers/agency.js';
import { FAKE_API_KEY, isolatedHome, runClaudePrint } from '../helpers/claude.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';
import { startScriptedApi } from '../fixtures/messages-api.js';

const MIN = fileURLToPath(new URL('../fixtures/registry-min', import.meta.url));
const defer = deferAfterEach();

describe('a folder compiled without a node', () => {
  it(
    'runs Bash in the sandbox: no key in its environment, no write outside, the context read-only',
    {
      timeout: 60_000,
    },
    async () => {
      const t = tempDir('agency-cs-');
      defer(t.remove);
      const dir = join(t.path, 'project');
      execFileSync('git', ['init', '-q', dir]);
      writeFileSync(join(t.path, 'outside.txt'), 'keep me\n');
      const c = agency([
        'compile',
        '--discipline',
        'backend',
        '--task',
        'Add an endpoint',
        '--dir',
        dir,
        '--registry',
        MIN,
      ]);
      expect(c.code, c.stderr).toBe(0);
      const claudeMd = readFileSync(join(dir, 'CLAUDE.md'), 'utf8');
      // what a session might write and run: the guard reads `sh probe.sh` as the agent's own code, which
      // runs only in the sandbox, so the sandbox is what must hold against each line of it
      const probe = [
        'env',
        `python3 -c "open('${t.path}/outside.txt', 'w').write('changed')"`,
        'echo injected > CLAUDE.md',
        '',
      ].join('\n');
      writeFileSync(join(dir, 'probe.sh'), probe);
      const steps = ['sh probe.sh'];
      const api = await startScriptedApi({
        steps: [
          ...steps.map((command) => ({ tool: 'Bash', input: { command, description: 'step' } })),
          { text: 'done' },
        ],
      });
      defer(() => api.close());
      const home = await isolatedHome(api.url);
      defer(() => home.cleanup());
      // Bash allowed on the command line: what stops a step is the sandbox (or the guard), not a question
      const run = await runClaudePrint({ cwd: dir, prompt: 'go', env: home.env, args: ['--allowedTools', 'Bash'] });
      expect(run.code, run.stderr).toBe(0);
      expect(run.result.result).toBe('done');
      const results = api.toolResults();
      expect(results).toHaveLength(steps.length);
      expect(results[0]!.content).toMatch(/^HOME=/m);
      expect(results[0]!.content).not.toContain(FAKE_API_KEY);
      expect(results[0]!.content).toMatch(/^SANDBOX_RUNTIME=1$/m);
      expect(readFileSync(join(t.path, 'outside.txt'), 'utf8')).toBe('keep me\n');
      expect(readFileSync(join(dir, 'CLAUDE.md'), 'utf8')).toBe(claudeMd);
      expect(results[0]!.content).toMatch(/CLAUDE\.md: Read-only file system/);
      expect(results[0]!.content).toMatch(/PermissionError|Read-only file system: '.*outside\.txt'/);
    },
  );
});
