/**
 * Transcript lines shaped like those Claude Code 2.1.197 writes (claude-code-facts.md §8, and the
 * transcripts of the real-CLI test): one API response becomes one `assistant` line per content block,
 * all with the same message.id, requestId and usage, except that output_tokens may grow.
 */
import { randomUUID } from 'node:crypto';

export const SESSION_ID = '45c6a0f2-5d1e-4b7a-9a51-0c1f2e3d4b5a';
const CWD = '/tmp/proj1';

export interface ResponseSpec {
  id: string;
  /** omitted, as some gateways do, when null */
  requestId?: string | null;
  model?: string;
  input?: number;
  cacheRead?: number;
  /** 5-minute cache writes */
  cache5m?: number;
  /** 1-hour cache writes */
  cache1h?: number;
  /** output_tokens of each row: one row per content block, in the order they are written */
  outputs: number[];
  speed?: 'standard' | 'fast';
  webSearches?: number;
  sidechain?: boolean;
}

function envelope(type: string, sidechain = false): Record<string, unknown> {
  return {
    parentUuid: randomUUID(),
    isSidechain: sidechain,
    userType: 'external',
    cwd: CWD,
    sessionId: SESSION_ID,
    version: '2.1.197',
    gitBranch: 'main',
    entrypoint: 'sdk-cli',
    type,
    uuid: randomUUID(),
    timestamp: '2026-11-21T10:00:00.000Z',
  };
}

/** The rows of one API response, one JSON line per content block. */
export function responseLines(r: ResponseSpec): string[] {
  const cache5m = r.cache5m ?? 0;
  const cache1h = r.cache1h ?? 0;
  return r.outputs.map((output, i) => {
    const last = i === r.outputs.length - 1;
    const block =
      last && r.outputs.length > 1
        ? {
            type: 'tool_use',
            id: `toolu_${r.id}_${i}`,
            name: 'Bash',
            input: { command: 'echo hi', description: 'echo' },
          }
        : { type: 'text', text: `part ${i} of ${r.id}` };
    const line: Record<string, unknown> = {
      ...envelope('assistant', r.sidechain),
      message: {
        id: r.id,
        type: 'message',
        role: 'assistant',
        model: r.model ?? 'claude-opus-4-8',
        content: [block],
        stop_reason: last ? (r.outputs.length > 1 ? 'tool_use' : 'end_turn') : null,
        stop_sequence: null,
        usage: {
          input_tokens: r.input ?? 0,
          cache_creation_input_tokens: cache5m + cache1h,
          cache_read_input_tokens: r.cacheRead ?? 0,
          output_tokens: output,
          server_tool_use: { web_search_requests: r.webSearches ?? 0, web_fetch_requests: 0 },
          service_tier: 'standard',
          cache_creation: { ephemeral_1h_input_tokens: cache1h, ephemeral_5m_input_tokens: cache5m },
          inference_geo: '',
          iterations: [],
          speed: r.speed ?? 'standard',
        },
      },
    };
    if (r.requestId !== null) line.requestId = r.requestId ?? `req_${r.id}`;
    return JSON.stringify(line);
  });
}

export function userLine(text: string): string {
  return JSON.stringify({ ...envelope('user'), message: { role: 'user', content: text }, promptId: randomUUID() });
}

/** A tool result as the user line that carries it (these can be large, and mention "usage" in text). */
export function toolResultLine(toolUseId: string, content: string): string {
  return JSON.stringify({
    ...envelope('user'),
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content, is_error: false }] },
    toolUseResult: { stdout: content, stderr: '', interrupted: false },
  });
}

/** Bookkeeping lines that carry no usage. */
export function bookkeepingLines(): string[] {
  return [
    JSON.stringify({
      type: 'queue-operation',
      operation: 'enqueue',
      timestamp: '2026-11-21T10:00:00.000Z',
      sessionId: SESSION_ID,
    }),
    JSON.stringify({
      type: 'file-history-snapshot',
      messageId: randomUUID(),
      snapshot: { trackedFileBackups: {} },
      isSnapshotUpdate: false,
    }),
    JSON.stringify({ ...envelope('system'), subtype: 'turn_duration', durationMs: 537, messageCount: 4 }),
    JSON.stringify({ type: 'last-prompt', lastPrompt: 'do it', sessionId: SESSION_ID }),
  ];
}

/** JSONL text: every line followed by a newline, as Claude Code writes it. */
export const jsonl = (lines: string[]): string => lines.map((l) => l + '\n').join('');
