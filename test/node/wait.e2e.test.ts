/** `agency wait --until`: a session waiting for the operator ends `--until input` at once, and not `--until done`. */
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode } from '../helpers/node.js';

const defer = deferAfterEach();

describe('agency wait', () => {
  it(
    'a session waiting on a decision: --until input exits 3, --until done waits on to its timeout (4), then to the end (0)',
    { timeout: 120_000 },
    async () => {
      const n = await testNode({
        steps: [
          { tool: 'Bash', input: { command: 'cp README.md copy.md', description: 'copy (waits for the operator)' } },
          { text: 'copied' },
        ],
      });
      defer(() => n.cleanup());
      const run = await n.agency(['run', 'copy the readme', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout);

      const input = await n.agency(['wait', session, '--until', 'input', '--timeout', '60', '--json']);
      expect(input.code, input.stdout + input.stderr).toBe(3);
      expect(JSON.parse(input.stdout)).toMatchObject({ session, state: 'needs-input', exit: 3 });

      const done = await n.agency(['wait', session, '--until', 'done', '--timeout', '3', '--json']);
      expect(done.code, done.stdout + done.stderr).toBe(4);
      expect(JSON.parse(done.stdout)).toMatchObject({ session, state: 'needs-input', exit: 4 });
      // the default is --until done
      expect((await n.agency(['wait', session, '--timeout', '1'])).code).toBe(4);

      const [d] = JSON.parse((await n.agency(['decisions', '--json'])).stdout).decisions;
      expect((await n.agency(['approve', d.id])).code).toBe(0);
      const end = await n.agency(['wait', session, '--timeout', '60']);
      expect(end.code, end.stdout + end.stderr).toBe(0);
    },
  );
});
