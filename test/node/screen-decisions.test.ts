/**
 * A prompt on a session's screen that only the operator can answer, and an answer it has no option for: the
 * session is a program that shows Claude Code's real AskUserQuestion dialog (captured from v2.1.197), which
 * offers no "Yes". Approving it must not report the session as working while the question still waits.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode } from '../helpers/node.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

const QUESTION = fileURLToPath(
  new URL('../session/prompts/screens/first-run-120x40/13-ask-user-question.txt', import.meta.url),
);

/** A stand-in for claude that draws the question and, when Esc is pressed, takes it away as Claude Code does. */
function questionProgram(dir: string): string {
  const program = join(dir, 'ask-user-question');
  writeFileSync(
    program,
    `#!${process.execPath}
const screen = require('node:fs').readFileSync(${JSON.stringify(QUESTION)}, 'utf8').replace(/\\n$/, '');
process.stdout.write('\\x1b[2J\\x1b[H' + screen.split('\\n').join('\\r\\n'));
process.stdin.setRawMode(true);
process.stdin.on('data', (d) => {
  if (d.includes(0x1b)) process.stdout.write('\\x1b[2J\\x1b[Hquestion dismissed\\r\\n');
});
`,
  );
  chmodSync(program, 0o755);
  return program;
}

describe('a decision answered on the screen', () => {
  it(
    'approving a question that has no option for it leaves the session waiting and the decision open; denying dismisses it',
    { timeout: 90_000 },
    async () => {
      const dir = tempDir();
      defer(() => dir.remove());
      const n = await testNode(
        { steps: [{ text: 'never asked' }] },
        { env: { AGENCY_CLAUDE_BIN: questionProgram(dir.path), AGENCY_PREPARE_CLAUDE: '0' } },
      );
      defer(() => n.cleanup());
      const run = await n.agency(['run', 'pick a database', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout);
      const w = await n.agency(['wait', session, '--until', 'input', '--timeout', '60']);
      expect(w.code, w.stdout + w.stderr + (await n.agency(['screen', session])).stdout).toBe(3);
      const status = async () => JSON.parse((await n.agency(['status', '--json'])).stdout);
      const [d] = (await status()).decisions;
      expect(d).toMatchObject({
        session,
        source: 'screen',
        state: 'open',
        summary: 'Which database should the service use?',
      });

      // nothing to press for yes: the session still waits on the question, and the operator can still answer it
      const yes = await n.agency(['approve', d.id]);
      const after = await status();
      expect(after.sessions[0]).toMatchObject({ id: session, state: 'needs-input', openDecisions: 1 });
      expect(after.decisions[0]).toMatchObject({ id: d.id, state: 'open' });
      expect(yes.code).toBe(1);
      expect(yes.stderr).toMatch(/no option that approves; deny the decision to dismiss it/);
      expect((await n.agency(['screen', session])).stdout).toContain('Which database should the service use?');

      const no = await n.agency(['deny', d.id, '--json']);
      expect(no.code, no.stderr).toBe(0);
      expect(JSON.parse(no.stdout)).toMatchObject({ id: d.id, state: 'denied' });
      await until('the question to be dismissed by Esc', async () =>
        (await n.agency(['screen', session])).stdout.includes('question dismissed'),
      );
      expect((await status()).sessions[0]).toMatchObject({ id: session, state: 'working', openDecisions: 0 });
    },
  );
});
