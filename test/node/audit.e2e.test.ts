/**
 * The audit trail after a scripted day on a real node with the real Claude Code CLI: runs, a call the
 * operator approves and one they deny, the policy's own answers, a guard block, an organisation given,
 * pause, resume and stop. Every event is in `agency audit`, nothing secret is; one byte changed in the
 * middle of the file makes `agency audit verify` name that entry.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/protocol/economics.js';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode, type TestNode } from '../helpers/node.js';

const defer = deferAfterEach();
const ORG = fileURLToPath(new URL('../fixtures/orgs/fund-ops', import.meta.url));

async function openDecision(n: TestNode, id: string): Promise<{ id: string; summary: string }> {
  const w = await n.agency(['wait', id, '--until', 'input', '--timeout', '60']);
  expect(w.code, w.stdout + w.stderr).toBe(3);
  const list = JSON.parse((await n.agency(['decisions', '--json'])).stdout).decisions;
  expect(list).toHaveLength(1);
  return list[0];
}

describe('the audit trail', () => {
  it(
    'after a scripted day holds every event, no secret, and verify names the one entry changed',
    { timeout: 240_000 },
    async () => {
      const n = await testNode({
        steps: [
          { tool: 'Bash', input: { command: 'cp README.md copy.md', description: 'copy' } },
          { tool: 'Bash', input: { command: 'cp README.md second.md', description: 'copy again' } },
          { tool: 'Bash', input: { command: 'shutdown -h now', description: 'stop' } },
          { tool: 'Bash', input: { command: 'curl http://127.0.0.1:9/x', description: 'fetch' } },
          { text: 'finished' },
          { text: 'second session done' },
        ],
      });
      defer(() => n.cleanup());
      const a = (...args: string[]) => n.agency(args, { timeoutMs: 90_000 });

      expect((await a('org', 'apply', ORG)).code).toBe(0);
      const run = await a('run', 'copy the readme twice', '--discipline', 'backend', '--json');
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout);
      const first = await openDecision(n, session);
      expect((await a('approve', first.id)).code).toBe(0);
      const second = await openDecision(n, session);
      expect((await a('deny', second.id, '--reason', 'one copy is enough')).code).toBe(0);
      const done = await a('wait', session, '--timeout', '60');
      expect(done.code, done.stdout + done.stderr + (await a('screen', session)).stdout).toBe(0);
      const results = n.api.toolResults();
      expect(results[2]?.content).toMatch(/agency guard blocked this call: .*shutting the machine down/);
      expect(results[3]?.content).toMatch(/agency policy denies this \(Bash\(curl \*\)\)/);
      for (const op of ['pause', 'resume', 'stop']) expect((await a(op, session)).code).toBe(0);
      // a second session (the script starts over for it) stopped while its decision is open: withdrawn by the node
      const other = JSON.parse((await a('run', 'write the docs', '--discipline', 'docs', '--json')).stdout).session;
      await openDecision(n, other);
      expect((await a('stop', other)).code).toBe(0);

      const trail = JSON.parse((await a('audit', '--json')).stdout) as { entries: AuditEntry[] };
      const of = (kind: string, more: Partial<AuditEntry> = {}) =>
        trail.entries.filter((e) => e.kind === kind && Object.entries(more).every(([k, v]) => e[k as 'by'] === v));
      expect(of('node-start')).toHaveLength(1);
      expect(of('org', { by: 'operator' })[0]!.summary).toMatch(/VP/);
      expect(of('run', { by: 'operator' }).map((e) => e.session)).toEqual([session, other]);
      expect(of('run', { session })[0]!.detail).toMatchObject({ discipline: 'backend', task: 'copy the readme twice' });
      const compiled = of('compile', { session })[0]!;
      expect(compiled.detail.files).toContain('CLAUDE.md');
      expect(compiled.detail.context).toMatch(/^[0-9a-f]{64}$/);
      expect(of('decision-asked', { session, by: 'session' }).map((e) => e.detail.call)).toEqual([
        'cp README.md copy.md',
        'cp README.md second.md',
      ]);
      expect(of('decision-answered', { session, by: 'operator' }).map((e) => [e.detail.call, e.detail.state])).toEqual([
        ['cp README.md copy.md', 'approved'],
        ['cp README.md second.md', 'denied'],
      ]);
      // the discipline's deny rule, applied by the guard before Claude Code asks
      expect(of('guard-block', { session, by: 'policy:Bash(curl *)' })[0]!.summary).toMatch(
        /curl http:\/\/127.0.0.1:9\/x/,
      );
      const block = of('guard-block', { session, by: 'policy:guard' });
      expect(block).toHaveLength(1);
      expect(block[0]!.summary).toMatch(/shutdown -h now: .*shutting the machine down is forbidden/);
      for (const kind of ['pause', 'resume', 'stop']) expect(of(kind, { session, by: 'operator' })).toHaveLength(1);
      expect(of('stop', { session: other, by: 'operator' })).toHaveLength(1);
      expect(of('decision-answered', { session: other, by: 'node' })[0]!.detail).toMatchObject({ state: 'withdrawn' });
      expect(trail.entries.map((e) => e.seq)).toEqual(trail.entries.map((_, i) => i + 1));

      // the text form: one line per entry, and a session's alone
      const text = await a('audit', '--session', session, '--since', '1h');
      expect(text.code, text.stderr).toBe(0);
      const lines = text.stdout.trim().split('\n');
      expect(lines).toHaveLength(trail.entries.filter((e) => e.session === session).length);
      expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d local +run +operator +s-\w+ +run backend/);

      const dir = join(n.agencyHome, 'audit');
      const file = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
      const raw = readFileSync(join(dir, file), 'utf8');
      expect(raw).not.toContain(n.key);
      expect((await a('audit', 'verify')).stdout).toMatch(/^local: ok \(\d+ entries in 1 file\)/);

      // one byte changed in the middle
      const fileLines = raw.split('\n');
      const mid = Math.floor((fileLines.length - 1) / 2);
      const changed = JSON.parse(fileLines[mid]!) as AuditEntry;
      const at = fileLines[mid]!.indexOf('"summary":"') + 11;
      fileLines[mid] =
        fileLines[mid]!.slice(0, at) + (fileLines[mid]![at] === 'x' ? 'y' : 'x') + fileLines[mid]!.slice(at + 1);
      writeFileSync(join(dir, file), fileLines.join('\n'));
      const verify = await a('audit', 'verify', '--json');
      expect(verify.code).toBe(1);
      expect(JSON.parse(verify.stdout).nodes[0]).toMatchObject({
        node: 'local',
        ok: false,
        broken: { seq: changed.seq, file, line: mid + 1 },
      });
      const said = await a('audit', 'verify');
      expect(said.code).toBe(1);
      expect(said.stdout).toContain(`local: BROKEN at seq ${changed.seq} (${file} line ${mid + 1})`);
    },
  );
});
