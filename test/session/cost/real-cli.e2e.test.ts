/**
 * Tokens and cost read from the transcripts the real Claude Code CLI (pinned 2.1.197) writes, compared
 * with what the same CLI reports in its `result` event: `usage` (main loop only), `modelUsage` (every
 * model, subagents included, keys with a `[1m]` suffix) and `total_cost_usd`.
 *
 * The CLI talks to the scripted Messages API through a proxy that adds cache reads and 5-minute and
 * 1-hour cache writes to every reply, so all five prices are exercised.
 *
 * Findings (2026-11-21):
 * - Opus 4.8 (main loop) and Haiku 4.5 (subagent): tokens per model and cost agree exactly with
 *   `modelUsage` and `total_cost_usd`; the 1-hour writes are priced at 2× input by both.
 * - Sonnet 5: tokens agree, cost does not. Claude Code 2.1.197 prices claude-sonnet-5 at $3/$15 in its
 *   built-in table; the published list price is $2/$10 (5m write $2.50, 1h write $4, read $0.20), which
 *   is what we use. So `total_cost_usd` is 1.5× our figure for Sonnet 5 sessions.
 * - Not covered here: in interactive sessions Claude Code also sends a title request (Haiku) that is
 *   billed but never written to the transcript (claude-code-facts.md §8), so transcripts undercount
 *   those sessions slightly; `-p` sends none.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stripContextSuffix } from '../../../src/session/cost/pricing.js';
import { transcriptFiles } from '../../../src/session/cost/slug.js';
import { UsageTracker } from '../../../src/session/cost/tracker.js';
import { usageFromText, type Usage } from '../../../src/session/cost/usage.js';
import { isolatedHome, runClaudePrint, type PrintRun, type StreamEvent } from '../../helpers/claude.js';
import { startScriptedApi, type Scenario } from '../../fixtures/messages-api.js';
import { startUsageProxy, type CacheUsage } from './usage-proxy.js';

const TEST_MS = 40_000;
const RUN_MS = 30_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
});

/** Different, recognisable cache figures for each reply (the scripted API numbers them msg_1, msg_2…). */
function cacheFor(messageId: string): CacheUsage {
  const n = Number(/(\d+)$/.exec(messageId)?.[1] ?? 0);
  return { cacheRead: 10_000 * n + 17, cache5m: 1_000 * n + 3, cache1h: 500 * n + 11 };
}

interface Session {
  run: PrintRun;
  configDir: string;
  repo: string;
}

async function runSession(
  scenario: Scenario,
  args: string[],
  files: Record<string, string> = {},
  onEvent?: (event: StreamEvent, env: { configDir: string; repo: string }) => void,
): Promise<Session> {
  const api = await startScriptedApi(scenario);
  cleanups.push(() => api.close());
  const proxy = await startUsageProxy(api.url, cacheFor);
  cleanups.push(() => proxy.close());
  const home = await isolatedHome(proxy.url, { preseed: true });
  cleanups.push(() => home.cleanup());
  const repo = await realpath(await mkdtemp(join(tmpdir(), 'agency-cost-repo-')));
  cleanups.push(() => rm(repo, { recursive: true, force: true }));
  const git = (...a: string[]): void => {
    execFileSync('git', a, { cwd: repo, env: home.env, stdio: 'ignore' });
  };
  git('init', '-q', '-b', 'main');
  await writeFile(join(repo, 'README.md'), 'fixture repo\n');
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(repo, rel, '..'), { recursive: true });
    await writeFile(join(repo, rel), text);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  const run = await runClaudePrint({
    cwd: repo,
    prompt: 'run the checks',
    env: home.env,
    args,
    timeoutMs: RUN_MS,
    onEvent: (event) => onEvent?.(event, { configDir: home.configDir, repo }),
  });
  expect(run.code, run.stderr).toBe(0);
  expect(run.result).toMatchObject({ type: 'result', subtype: 'success', is_error: false });
  return { run, configDir: home.configDir, repo };
}

/** The CLI's per-model figures, keyed like our byModel (without the `[1m]` suffix). */
function reportedByModel(run: PrintRun): Record<string, { tokens: number[]; cost: number }> {
  const out: Record<string, { tokens: number[]; cost: number }> = {};
  for (const [model, m] of Object.entries(run.result.modelUsage as Record<string, Record<string, number>>)) {
    out[stripContextSuffix(model)] = {
      tokens: [
        m.inputTokens ?? NaN,
        m.outputTokens ?? NaN,
        m.cacheCreationInputTokens ?? NaN,
        m.cacheReadInputTokens ?? NaN,
      ],
      cost: m.costUSD ?? NaN,
    };
  }
  return out;
}

function ourByModel(u: Usage): Record<string, { tokens: number[]; cost: number }> {
  const out: Record<string, { tokens: number[]; cost: number }> = {};
  for (const [model, m] of Object.entries(u.byModel)) {
    out[model] = {
      tokens: [m.inputTokens, m.outputTokens, m.cacheCreationTokens, m.cacheReadTokens],
      cost: m.costUsd ?? NaN,
    };
  }
  return out;
}

/** The main loop's totals in the result event's `usage`, in the order of mainTokens. */
function reportedMainTokens(run: PrintRun): number[] {
  const u = run.result.usage;
  return [u.input_tokens, u.output_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens];
}

const mainTokens = (u: Usage): number[] => [u.inputTokens, u.outputTokens, u.cacheCreationTokens, u.cacheReadTokens];

describe('usage from the transcripts of the real CLI', () => {
  it(
    'matches total_cost_usd, usage and modelUsage for a -p session with two tool calls',
    { timeout: TEST_MS },
    async () => {
      // a second tracker follows the transcript while the CLI writes it, updated on every event
      let live: UsageTracker | undefined;
      const liveUpdates: Promise<Usage>[] = [];
      const { run, configDir, repo } = await runSession(
        {
          steps: [
            { text: 'Running the first check.', tool: 'Bash', input: { command: 'echo one', description: 'first' } },
            { tool: 'Bash', input: { command: 'echo two', description: 'second' } },
            { text: 'Both checks passed.' },
          ],
        },
        ['--model', 'claude-opus-4-8', '--allowedTools', 'Bash(echo *)'],
        {},
        (event, env) => {
          if (event?.type === 'system' && event.subtype === 'init') {
            live = new UsageTracker({ configDir: env.configDir, cwd: env.repo, sessionId: event.session_id });
          }
          if (live) liveUpdates.push(live.update());
        },
      );
      const sessionId: string = run.result.session_id;
      expect(await transcriptFiles(configDir, repo, sessionId)).toHaveLength(1); // no subagents
      expect(liveUpdates.length).toBeGreaterThan(3);
      await Promise.all(liveUpdates);

      const tracker = new UsageTracker({ configDir, cwd: repo, sessionId });
      const u = await tracker.update();
      expect(u.messages).toBe(3);
      expect(u.unpricedModels).toEqual([]);
      expect(u.cacheCreation1hTokens).toBeGreaterThan(0);
      expect(mainTokens(u)).toEqual(reportedMainTokens(run));
      expect(u.costUsd).toBeCloseTo(run.result.total_cost_usd, 10);
      const ours = ourByModel(u);
      const theirs = reportedByModel(run);
      expect(Object.keys(ours)).toEqual(['claude-opus-4-8']);
      expect(ours['claude-opus-4-8']?.tokens).toEqual(theirs['claude-opus-4-8']?.tokens);
      expect(ours['claude-opus-4-8']?.cost).toBeCloseTo(theirs['claude-opus-4-8']?.cost ?? NaN, 10);
      // read piece by piece while it was written, the transcript adds up to the same totals
      expect(await live?.update()).toEqual(u);
    },
  );

  it("adds a Haiku subagent's transcript, priced at its own model's price", { timeout: TEST_MS }, async () => {
    const { run, configDir, repo } = await runSession(
      {
        steps: [
          { tool: 'Agent', input: { description: 'count files', prompt: 'Count the files', subagent_type: 'counter' } },
          { text: 'The counter reported back.' },
        ],
        subagents: {
          COUNTER_MARKER_51c: [
            { tool: 'Bash', input: { command: 'echo 1', description: 'count' } },
            { text: 'one file' },
          ],
        },
      },
      ['--model', 'claude-opus-4-8', '--allowedTools', 'Bash(echo *)'],
      {
        '.claude/agents/counter.md':
          '---\nname: counter\ndescription: Counts files\ntools: Bash\nmodel: haiku\n---\nYou are COUNTER_MARKER_51c. Count.\n',
      },
    );
    const sessionId: string = run.result.session_id;
    const files = await transcriptFiles(configDir, repo, sessionId);
    expect(files).toHaveLength(2);

    const u = await new UsageTracker({ configDir, cwd: repo, sessionId }).update();
    expect(ourByModel(u)).toEqual(
      Object.fromEntries(
        Object.entries(reportedByModel(run)).map(([model, r]) => [
          model,
          { tokens: r.tokens, cost: expect.closeTo(r.cost, 10) },
        ]),
      ),
    );
    expect(Object.keys(u.byModel).sort()).toEqual(['claude-haiku-4-5-20251001', 'claude-opus-4-8']);
    expect(u.costUsd).toBeCloseTo(run.result.total_cost_usd, 10);
    // the result's `usage` covers the main loop only: the main transcript alone
    const mainOnly = usageFromText(readFileSync(files[0] as string, 'utf8'));
    expect(mainTokens(mainOnly)).toEqual(reportedMainTokens(run));
  });

  it(
    'counts Sonnet 5 tokens like the CLI, but prices them at the list price ($2/$10), not its $3/$15',
    { timeout: TEST_MS },
    async () => {
      const { run, configDir, repo } = await runSession(
        { steps: [{ tool: 'Bash', input: { command: 'echo three', description: 'third' } }, { text: 'done' }] },
        ['--model', 'claude-sonnet-5', '--allowedTools', 'Bash(echo *)'],
      );
      const u = await new UsageTracker({ configDir, cwd: repo, sessionId: run.result.session_id }).update();
      const ours = ourByModel(u);
      const theirs = reportedByModel(run);
      expect(Object.keys(ours)).toEqual(['claude-sonnet-5']);
      expect(ours['claude-sonnet-5']?.tokens).toEqual(theirs['claude-sonnet-5']?.tokens);
      // every Sonnet 5 price in Claude Code 2.1.197 is 1.5× the published one
      expect(run.result.total_cost_usd).toBeCloseTo(1.5 * u.costUsd, 10);
      const [input, output, creation, read] = mainTokens(u) as [number, number, number, number];
      const w1h = u.cacheCreation1hTokens;
      expect(u.costUsd).toBeCloseTo(
        (input * 2 + output * 10 + (creation - w1h) * 2.5 + w1h * 4 + read * 0.2) / 1e6,
        12,
      );
    },
  );
});
