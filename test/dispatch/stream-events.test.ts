/**
 * Reading a worker's stream-json events, line by line, in the shapes Claude Code 2.1.197 printed them
 * (claude-code-facts.md §7.1; the lines below are trimmed copies of what it printed against the scripted API).
 */
import { describe, expect, it } from 'vitest';
import type { Usage } from '../../src/protocol/messages.js';
import { hasUnsafe } from '../../src/protocol/safe-text.js';
import { ClaudeEvents, describeTool, MAX_RETRY_MS, type PriceOf } from '../../src/dispatch/stream-events.js';

const CWD = '/work/w-1';

function reader(price?: PriceOf) {
  const activity: string[] = [];
  const output: string[] = [];
  const usage: Usage[] = [];
  const events = new ClaudeEvents(
    CWD,
    { activity: (l) => activity.push(l), output: (l) => output.push(l), usage: (u) => usage.push(u) },
    price,
  );
  const feed = (...lines: unknown[]) => {
    for (const l of lines) events.line(typeof l === 'string' ? l : JSON.stringify(l));
  };
  return { events, activity, output, usage, feed };
}

const usageOf = (input: number, output: number, creation = 0, read = 0) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: creation,
  cache_read_input_tokens: read,
  service_tier: 'standard',
});
const assistant = (
  id: string,
  content: unknown[],
  usage: unknown,
  model = 'claude-haiku-4-5-20251001',
  parent = null,
) => ({
  type: 'assistant',
  message: { id, type: 'message', role: 'assistant', model, content, stop_reason: null, usage },
  parent_tool_use_id: parent,
  session_id: 's',
});
const INIT = {
  type: 'system',
  subtype: 'init',
  cwd: CWD,
  session_id: 's',
  tools: ['Bash', 'Read', 'Write'],
  model: 'claude-haiku-4-5-20251001',
  permissionMode: 'acceptEdits',
};

describe('ClaudeEvents', () => {
  it('tells what it does: started, writing, each tool call in a few words, a failed tool, finished', () => {
    const r = reader();
    r.feed(
      INIT,
      assistant('msg_1', [{ type: 'text', text: 'Let me look.\n\nFirst the tests.' }], usageOf(100, 1)),
      assistant(
        'msg_1',
        [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: `${CWD}/src/a.ts` } }],
        usageOf(100, 1),
      ),
      assistant(
        'msg_2',
        [{ type: 'tool_use', id: 'toolu_2', name: 'Bash', input: { command: 'npm test\n  -- --run' } }],
        usageOf(150, 1),
      ),
      {
        type: 'user',
        message: {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_2', is_error: true, content: '\nExit code 1\nFAIL a' }],
        },
        parent_tool_use_id: null,
      },
      {
        type: 'result',
        subtype: 'success',
        is_error: false,
        result: 'Fixed the test.',
        total_cost_usd: 0.01,
        usage: usageOf(250, 40),
      },
    );
    expect(r.activity).toEqual([
      'started (claude-haiku-4-5-20251001)',
      'writing',
      'Read src/a.ts',
      'Bash: npm test -- --run',
      'finished',
    ]);
    expect(r.output).toEqual([
      'started (claude-haiku-4-5-20251001)',
      'Let me look.',
      'First the tests.',
      '→ Read src/a.ts',
      '→ Bash: npm test -- --run',
      '✗ Bash: Exit code 1',
      'finished: Fixed the test.',
    ]);
    expect(r.events.result).toMatchObject({ text: 'Fixed the test.', isError: false, reason: null });
  });

  it('counts a response once however many blocks it came in, each field its largest, and prices it when it can', () => {
    const price: PriceOf = (model, t) =>
      model.startsWith('claude-haiku') ? t.inputTokens / 1e6 + t.outputTokens / 1e5 : null;
    const r = reader(price);
    r.feed(
      assistant('msg_1', [{ type: 'text', text: 'a' }], usageOf(100, 1, 20, 30)),
      assistant('msg_1', [{ type: 'tool_use', id: 't', name: 'Read', input: {} }], usageOf(100, 1, 20, 30)),
      assistant('msg_1', [{ type: 'text', text: 'b' }], usageOf(100, 7, 20, 30)),
      assistant('msg_2', [{ type: 'text', text: 'c' }], usageOf(150, 3), 'claude-new-model'),
      // Claude Code's own messages (an API error it reports) cost nothing
      assistant('m-synth', [{ type: 'text', text: 'API Error' }], usageOf(5, 5), '<synthetic>'),
    );
    const seen = r.events.usage();
    expect(seen).toEqual({
      inputTokens: 250,
      outputTokens: 10,
      cacheCreationTokens: 20,
      cacheReadTokens: 30,
      costUsd: 100 / 1e6 + 7 / 1e5,
      unpricedModels: ['claude-new-model'],
    });
    // told when it changed: the first block, the larger output count, the second response
    expect(r.usage.map((u) => u.outputTokens)).toEqual([1, 7, 10]);
    expect(r.events.finalUsage()).toEqual(seen);
  });

  it('tells each response as a turn of its model: what each of its events added, a repeat adding nothing', () => {
    const turns: { model: string; added: Record<string, number> }[] = [];
    const events = new ClaudeEvents(CWD, {
      activity: () => undefined,
      output: () => undefined,
      usage: () => undefined,
      turn: (model, added) => turns.push({ model, added: { ...added } }),
    });
    for (const e of [
      assistant('msg_1', [{ type: 'text', text: 'a' }], usageOf(100, 1, 20, 30)),
      assistant('msg_1', [{ type: 'tool_use', id: 't', name: 'Read', input: {} }], usageOf(100, 1, 20, 30)),
      assistant('msg_1', [{ type: 'text', text: 'b' }], usageOf(100, 7, 20, 30)),
      assistant('msg_2', [{ type: 'text', text: 'c' }], usageOf(150, 3), 'claude-sonnet-4-5'),
      assistant('m-synth', [{ type: 'text', text: 'API Error' }], usageOf(5, 5), '<synthetic>'),
    ])
      events.line(JSON.stringify(e));
    expect(turns).toEqual([
      {
        model: 'claude-haiku-4-5-20251001',
        added: { inputTokens: 100, outputTokens: 1, cacheCreationTokens: 20, cacheReadTokens: 30 },
      },
      {
        model: 'claude-haiku-4-5-20251001',
        added: { inputTokens: 0, outputTokens: 6, cacheCreationTokens: 0, cacheReadTokens: 0 },
      },
      {
        model: 'claude-sonnet-4-5',
        added: { inputTokens: 150, outputTokens: 3, cacheCreationTokens: 0, cacheReadTokens: 0 },
      },
    ]);
  });

  it("tells as a turn what the result's totals hold beyond the responses seen (a response's final output)", () => {
    const turns: { model: string; added: Record<string, number> }[] = [];
    const events = new ClaudeEvents(CWD, {
      activity: () => undefined,
      output: () => undefined,
      usage: () => undefined,
      turn: (model, added) => turns.push({ model, added: { ...added } }),
    });
    events.line(JSON.stringify(assistant('msg_1', [{ type: 'text', text: 'a' }], usageOf(100, 1))));
    const modelUsage = (output: number) => ({
      'claude-haiku-4-5-20251001': {
        inputTokens: 100,
        outputTokens: output,
        cacheReadInputTokens: 0,
        cacheCreationInputTokens: 0,
      },
    });
    const result = { type: 'result', subtype: 'success', is_error: false, result: 'ok', total_cost_usd: 0.001 };
    events.line(JSON.stringify({ ...result, usage: usageOf(100, 40), modelUsage: modelUsage(40) }));
    expect(turns.map((t) => [t.model, t.added.inputTokens, t.added.outputTokens])).toEqual([
      ['claude-haiku-4-5-20251001', 100, 1],
      ['claude-haiku-4-5-20251001', 0, 39],
    ]);
    expect(events.finalUsage().outputTokens).toBe(40);
  });

  it("takes the result's usage (every model, Claude Code's cost) unless it counts fewer tokens than were seen", () => {
    const r = reader();
    r.feed(assistant('msg_1', [{ type: 'text', text: 'a' }], usageOf(100, 1)), {
      type: 'result',
      subtype: 'success',
      is_error: false,
      result: 'ok',
      total_cost_usd: 0.0021,
      usage: usageOf(100, 9),
      modelUsage: {
        'claude-haiku-4-5-20251001': {
          inputTokens: 100,
          outputTokens: 9,
          cacheReadInputTokens: 0,
          cacheCreationInputTokens: 0,
        },
        'claude-sonnet-5': { inputTokens: 40, outputTokens: 4, cacheReadInputTokens: 2, cacheCreationInputTokens: 1 },
      },
    });
    expect(r.events.finalUsage()).toEqual({
      inputTokens: 140,
      outputTokens: 13,
      cacheCreationTokens: 1,
      cacheReadTokens: 2,
      costUsd: 0.0021,
      unpricedModels: [],
    });

    const cut = reader();
    cut.feed(assistant('msg_1', [{ type: 'text', text: 'a' }], usageOf(100, 1)), {
      type: 'result',
      subtype: 'error_during_execution',
      is_error: true,
      total_cost_usd: 0,
      usage: usageOf(0, 0),
      modelUsage: {},
    });
    expect(cut.events.finalUsage()).toMatchObject({
      inputTokens: 100,
      outputTokens: 1,
      unpricedModels: ['claude-haiku-4-5-20251001'],
    });
  });

  it('a 429: the wait the API named (retry-after, whole seconds) while Claude Code retries, and again when the run ends on it', () => {
    const limits: (number | null)[] = [];
    const events = new ClaudeEvents(CWD, {
      activity: () => undefined,
      output: () => undefined,
      usage: () => undefined,
      rateLimited: (ms) => limits.push(ms),
    });
    const retry = (attempt: number, delay: number, status = 429) =>
      JSON.stringify({
        type: 'system',
        subtype: 'api_retry',
        attempt,
        max_retries: 3,
        retry_delay_ms: delay,
        error_status: status,
        error: status === 429 ? 'rate_limit' : 'server_error',
      });
    // as 2.1.197 printed them: retry-after 37 (37000), then its own backoff where the API named none
    events.line(retry(1, 37000));
    events.line(retry(2, 586.4608949606384));
    events.line(retry(3, 1200.5, 529));
    events.line(
      JSON.stringify({
        type: 'result',
        subtype: 'success',
        is_error: true,
        api_error_status: 429,
        result: 'API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit',
        total_cost_usd: 0,
        modelUsage: {},
      }),
    );
    expect(limits).toEqual([37000, null, 37000]);
    expect(events.result?.reason).toMatch(/^API error 429: API Error: Request rejected \(429\)/);
  });

  it('a retry time beyond an hour (or beyond what a timer holds) is passed on as an hour', () => {
    const limits: (number | null)[] = [];
    const events = new ClaudeEvents(CWD, {
      activity: () => undefined,
      output: () => undefined,
      usage: () => undefined,
      rateLimited: (ms) => limits.push(ms),
    });
    for (const delay of [2 ** 31 * 1000, 1e15])
      events.line(
        JSON.stringify({
          type: 'system',
          subtype: 'api_retry',
          attempt: 1,
          max_retries: 3,
          retry_delay_ms: delay,
          error_status: 429,
          error: 'rate_limit',
        }),
      );
    expect(limits).toEqual([MAX_RETRY_MS, MAX_RETRY_MS]);
    expect(MAX_RETRY_MS).toBe(3_600_000);
  });

  it('names an error: the API status and message, or the run errors', () => {
    const r = reader();
    r.feed(
      {
        type: 'system',
        subtype: 'api_retry',
        attempt: 1,
        max_retries: 1,
        retry_delay_ms: 535,
        error_status: 401,
        error: 'authentication_failed',
      },
      {
        type: 'result',
        subtype: 'success',
        is_error: true,
        api_error_status: 401,
        result: 'Invalid API key · Fix external API key',
        total_cost_usd: 0,
        usage: usageOf(0, 0),
        modelUsage: {},
      },
    );
    expect(r.activity).toEqual(['API error 401 (authentication_failed), retry 1/1', 'failed']);
    expect(r.events.result?.reason).toBe('API error 401: Invalid API key · Fix external API key');

    const turns = reader();
    turns.feed({
      type: 'result',
      subtype: 'error_max_turns',
      is_error: true,
      terminal_reason: 'max_turns',
      errors: ['Reached maximum number of turns (1)'],
    });
    expect(turns.events.result?.reason).toBe('error_max_turns: Reached maximum number of turns (1)');
    expect(turns.output).toEqual(['failed: error_max_turns: Reached maximum number of turns (1)']);
  });

  it('marks what a subagent does, and survives lines that are not events or not the shape it knows', () => {
    const r = reader();
    r.feed(
      assistant(
        'm1',
        [{ type: 'tool_use', id: 'a', name: 'Grep', input: { pattern: 'TODO', path: `${CWD}/src` } }],
        usageOf(1, 1),
        'x',
        'toolu_agent' as never,
      ),
      'Error: something printed plain\u001b[31m',
      '{"type":"assistant","message":"not an object"}',
      '{"type":"assistant","message":{"content":[null,7,{"type":"text","text":["no"]}],"usage":"x"}}',
      '{"type":"result","is_error":"yes","result":42}',
      '[1,2,3]',
      '',
    );
    expect(r.activity).toEqual(['(agent) Grep TODO in src', 'failed']);
    expect(r.output[0]).toBe('(agent) → Grep TODO in src');
    expect(r.output[1]).toBe('(not an event) Error: something printed plain[31m');
    expect(r.events.result).toMatchObject({ isError: true, text: null });
    for (const l of [...r.output, ...r.activity]) expect(hasUnsafe(l)).toBe(false);
  });

  it('keeps line breaks of the result text but no control characters', () => {
    const r = reader();
    r.feed({ type: 'result', subtype: 'success', is_error: false, result: 'one\r\ntwo\u001b]0;t\u0007\tthree\u202e' });
    expect(r.events.result?.text).toBe('one\ntwo]0;t\tthree');
  });
});

describe('describeTool', () => {
  it.each([
    ['Write', { file_path: `${CWD}/.context/result.md`, content: 'x' }, 'Write .context/result.md'],
    ['Edit', { file_path: '/elsewhere/b.ts' }, 'Edit /elsewhere/b.ts'],
    ['Bash', { command: 'git status && echo \u001b[2Jdone' }, 'Bash: git status && echo [2Jdone'],
    ['Glob', { pattern: '**/*.ts' }, 'Glob **/*.ts'],
    ['WebFetch', { url: 'https://example.com/a', prompt: 'x' }, 'WebFetch https://example.com/a'],
    ['Task', { description: 'explore the repo', prompt: 'x' }, 'Task: explore the repo'],
    ['mcp__agency__worker_status', { run: 'r-1' }, 'mcp__agency__worker_status'],
    ['Bash', { command: 'x'.repeat(500) }, `Bash: ${'x'.repeat(193)}…`],
  ])('%s %j → %s', (name, input, line) => {
    expect(describeTool(name, input, CWD)).toBe(line);
  });

  it('a response’s 1-hour cache writes are told with its turn, when the API says how many', () => {
    const turns: { model: string; added: Record<string, number> }[] = [];
    const events = new ClaudeEvents(CWD, {
      activity: () => undefined,
      output: () => undefined,
      usage: () => undefined,
      turn: (model, added) => turns.push({ model, added: { ...added } }),
    });
    const withCache = (creation: number, oneHour: number) => ({
      ...usageOf(10, 1, creation),
      cache_creation: { ephemeral_5m_input_tokens: creation - oneHour, ephemeral_1h_input_tokens: oneHour },
    });
    events.line(JSON.stringify(assistant('msg_1', [{ type: 'text', text: 'a' }], withCache(1000, 800))));
    events.line(JSON.stringify(assistant('msg_2', [{ type: 'text', text: 'b' }], usageOf(10, 1, 500))));
    expect(turns[0]!.added).toMatchObject({ cacheCreationTokens: 1000, cacheCreation1hTokens: 800 });
    // not said: the node prices all of them at the 1-hour rate
    expect(turns[1]!.added.cacheCreationTokens).toBe(500);
    expect(turns[1]!.added).not.toHaveProperty('cacheCreation1hTokens');
  });
});
