/**
 * `agency genesis` with both backends (claude -p, the real pinned CLI; and the Anthropic SDK) against the
 * scripted Messages API: a 3-VP organisation whose overlay passes the registry check, and a session compiled
 * from one of its disciplines that the real Claude Code CLI accepts, listing the generated subagents in its
 * init event. With the claude backend, a broken answer is sent back once (a new call carrying it and its problems).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkRegistryAt } from '../../src/registry/index.js';
import { FAKE_API_KEY, isolatedHome, runClaudePrint } from '../helpers/claude.js';
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
});
