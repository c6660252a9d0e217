/**
 * `agency genesis` with both backends (claude -p, the real pinned CLI; and the Anthropic SDK) against the
 * scripted Messages API: a 3-VP organisation whose overlay passes the registry check, and a session compiled
 * from one of its disciplines that the real Claude Code CLI accepts, listing the generated subagents in its
 * init event. With the claude backend, a broken answer is sent back once (a new call carrying it and its problems).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BackendError, claudeBackend } from '../../src/genesis/index.js';
import { checkRegistryAt } from '../../src/registry/index.js';
import { HANG, startScriptedApi } from '../fixtures/messages-api.js';
import { AGENCY_BIN } from '../helpers/agency.js';
import { FAKE_API_KEY, isolatedHome, runClaudePrint } from '../helpers/claude.js';
import { until } from '../helpers/until.js';
import { deferAfterEach } from '../helpers/defer.js';
import { agencyAsync } from '../helpers/operator.js';
import { genesisScenario } from '../helpers/genesis-script.js';
import { genesisWorld } from './genesis-env.js';

const BASE = fileURLToPath(new URL('../../registry', import.meta.url));
const defer = deferAfterEach();
const SHAPE = { vps: 3, disciplines: 2, agents: 3 };
const DESCRIPTION = 'An AI-managed public-markets fund operator';

describe('agency genesis end to end', () => {
  for (const backend of ['claude', 'api'] as const) {
    it(
      `with the ${backend} backend: a 3-VP overlay that passes the check, and a compiled session whose subagents claude lists`,
      { timeout: 180_000 },
      async () => {
        const scenario = genesisScenario(SHAPE);
        scenario.steps = [{ text: 'all done' }];
        const w = await genesisWorld(scenario);
        defer(() => w.close());
        const r = await w.run([DESCRIPTION, '--yes', '--json'], backend);
        expect(r.code, r.stderr).toBe(0);
        const doc = JSON.parse(r.stdout);
        expect(doc.vps).toHaveLength(3);
        expect(doc.calls).toEqual({ made: 1 + 3 + 6, cached: 0, retried: 0 });
        expect(doc.tokens.input).toBeGreaterThan(0);
        const org = join(w.out, 'orgs', 'fund-ops');
        expect(checkRegistryAt(org, BASE).problems).toEqual([]);
        const check = await agencyAsync(['registry', 'check', org], w.env);
        expect(check.code, check.stdout + check.stderr).toBe(0);
        if (backend === 'claude') {
          // each call was claude -p with the answer's schema and no tools but StructuredOutput
          const first = w.api.requests.find((q) => q.kind === 'main')!;
          expect(first.body.tools.map((t: { name: string }) => t.name)).toEqual(['StructuredOutput']);
          expect(first.body.model).toBe('claude-sonnet-5');
        }

        // a session compiled from a generated discipline, run by the real CLI in a git worktree
        const repo = join(w.home, 'repo');
        mkdirSync(repo, { recursive: true });
        const git = (...a: string[]) =>
          execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...a], {
            cwd: repo,
            stdio: 'ignore',
          });
        git('init', '-q', '-b', 'main');
        writeFileSync(join(repo, 'README.md'), 'fixture\n');
        git('add', '-A');
        git('commit', '-q', '-m', 'init');
        const c = await agencyAsync(
          [
            'compile',
            '--registry',
            org,
            '--discipline',
            'd2-practice-1',
            '--task',
            'Stress-test the book',
            '--dir',
            repo,
          ],
          w.env,
        );
        expect(c.code, c.stderr).toBe(0);
        const home = await isolatedHome(w.api.url);
        defer(() => home.cleanup());
        const run = await runClaudePrint({
          cwd: repo,
          prompt: 'do the task',
          env: { ...home.env, ANTHROPIC_API_KEY: FAKE_API_KEY },
          timeoutMs: 60_000,
        });
        expect(run.code, run.stderr).toBe(0);
        expect(run.init.agents).toEqual(
          expect.arrayContaining(['practice-2-1-helper-1', 'practice-2-1-helper-2', 'practice-2-1-helper-3']),
        );
        expect(run.result.result).toBe('all done');
      },
    );
  }

  it(
    'with the claude backend, an answer with a secret is sent back once as a new call with the problems, then accepted',
    { timeout: 180_000 },
    async () => {
      const w = await genesisWorld(
        genesisScenario({ vps: 1, disciplines: 1, agents: 1 }, (c, s) =>
          c.phase === 'org'
            ? [{ ...s, vps: (s.vps as object[]).map((v) => ({ ...v, persona: `Holds ${FAKE_API_KEY}.` })) }, s]
            : null,
        ),
      );
      defer(() => w.close());
      const r = await w.run([DESCRIPTION, '--vps', '1', '--yes', '--json'], 'claude');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).calls).toEqual({ made: 1 + 1 + 1 + 1, cached: 0, retried: 1 });
      const again = w.api.requests.find(
        (q) => q.kind === 'main' && JSON.stringify(q.body.messages).includes('<previous_answer>'),
      )!;
      expect(JSON.stringify(again.body.messages)).toContain(
        'vps[0].persona: holds what looks like an Anthropic API key; an answer never carries credentials',
      );
      // the previous answer it carries has the secret redacted
      expect(JSON.stringify(again.body.messages)).toContain('Holds [redacted].');
      expect(JSON.stringify(again.body.messages)).not.toContain(FAKE_API_KEY);
      expect(r.stdout + r.stderr).not.toContain(FAKE_API_KEY);
    },
  );

  it(
    'with the claude backend, answers that never validate fail clearly and leave nothing in DIR',
    { timeout: 180_000 },
    async () => {
      const w = await genesisWorld(
        genesisScenario({ vps: 2, disciplines: 1, agents: 1 }, (c, s) =>
          c.phase === 'disciplines' && c.vp === 'Division 2'
            ? [
                { disciplines: [{ ...(s.disciplines as object[])[0], id: 'devops' }] },
                { disciplines: [{ ...(s.disciplines as object[])[0], id: 'devops' }] },
              ]
            : null,
        ),
      );
      defer(() => w.close());
      const r = await w.run([DESCRIPTION, '--vps', '2', '--yes'], 'claude');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        "agency: phase 2 (disciplines) of VP vp-2: the model's answer did not validate, even after it was sent back with the problems:",
      );
      expect(r.stderr).toContain(
        `disciplines[0]: discipline id "devops" is taken by the base registry's discipline devops; choose another id`,
      );
      expect(w.listing()).toEqual([]);
    },
  );

  it(
    'with the claude backend, the prompt goes on stdin to an isolated claude, and SIGTERM ends every claude and removes its folder',
    { timeout: 120_000 },
    async () => {
      const api = await startScriptedApi({ steps: [], route: () => [HANG] });
      const w = await genesisWorld({ steps: [] });
      defer(() => w.close());
      defer(() => api.close());
      const tmp = join(w.home, 'tmp');
      mkdirSync(tmp, { recursive: true });
      const env = { ...w.env, ANTHROPIC_BASE_URL: api.url, TMPDIR: tmp };
      const agency = spawn(
        process.execPath,
        [AGENCY_BIN, 'genesis', DESCRIPTION, '--vps', '1', '--yes', '--backend', 'claude', '--out', w.out],
        { env, stdio: 'ignore' },
      );
      const exited = new Promise<number | null>((r) => agency.on('close', (code) => r(code)));
      const claudes = () =>
        readdirSync('/proc')
          .filter((p) => /^\d+$/.test(p))
          .filter((p) => {
            try {
              return readlinkSync(`/proc/${p}/cwd`).startsWith(tmp);
            } catch {
              return false;
            }
          });
      await until('claude asks the model', () => api.requests.some((q) => q.kind === 'main'));
      const running = claudes();
      expect(running.length).toBeGreaterThan(0);
      const argv = readFileSync(`/proc/${running[0]}/cmdline`, 'utf8').split('\0');
      expect(argv.join(' ')).not.toContain('public-markets');
      for (const flag of ['--setting-sources', '--strict-mcp-config', '--mcp-config', '--max-turns', '--tools'])
        expect(argv).toContain(flag);
      expect(argv[argv.indexOf('--setting-sources') + 1]).toBe('');
      expect(argv[argv.indexOf('--mcp-config') + 1]).toBe('{"mcpServers":{}}');
      const first = api.requests.find((q) => q.kind === 'main')!;
      expect(JSON.stringify(first.body.messages)).toContain('An AI-managed public-markets fund operator');

      agency.kill('SIGTERM');
      expect(await exited).toBe(143);
      await until('every claude has ended', () => claudes().length === 0, 10_000);
      expect(readdirSync(tmp).filter((f) => f.startsWith('agency-genesis-'))).toEqual([]);
      expect(w.listing()).toEqual([]);
    },
  );

  it('with the claude backend, a call that hangs is reported as a timeout, and endless output as too much', async () => {
    const api = await startScriptedApi({ steps: [], route: () => [HANG] });
    defer(() => api.close());
    const w = await genesisWorld({ steps: [] });
    defer(() => w.close());
    const env = { ...w.env, ANTHROPIC_BASE_URL: api.url };
    const req = { name: 'org', prompt: 'hello', schema: { type: 'object' } };
    const slow = claudeBackend('sonnet', env, { callMs: 3000 });
    const e = await slow.call(req).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BackendError);
    expect((e as Error).message).toBe(
      'claude did not answer within 3 s (timed out); run again, or try another --model',
    );

    const chatty = await startScriptedApi({ steps: [{ tool: 'StructuredOutput', input: { a: 'x'.repeat(5000) } }] });
    defer(() => chatty.close());
    const small = claudeBackend('sonnet', { ...env, ANTHROPIC_BASE_URL: chatty.url }, { maxStdout: 1000 });
    const f = await small.call(req).catch((x: unknown) => x);
    expect((f as Error).message).toBe(
      'claude printed more than 1000 bytes without finishing its answer; it was stopped',
    );
  }, 60_000);
});
