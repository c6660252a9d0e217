/**
 * The turn gate: a session's spend never runs more than one turn past its budget. Claude Code sends its next
 * API request within milliseconds of a response's tool calls being answered, sooner than the node hears of the
 * response's line in the transcript, so a session stopped only on hearing it could already have another turn
 * in flight. Its PostToolBatch hook (compiler/guard-hook.ts) comes before that request and waits for the gate:
 * for a session a budget covers, the gate reads the transcripts until the response that made those tool calls
 * is recorded (the budget guard pauses the session, hook and all, the moment a turn spends its budget), then
 * lets the hook go. A session no budget covers is let go at once.
 */
import type { UsageWatch } from './usage-watch.js';

export interface TurnGateOptions {
  /** whether the session holds this token */
  holds(session: string, token: string): boolean;
  /** whether a budget (its own, its VP's or the fleet's) covers the session */
  covers(session: string): boolean;
  /** the watch on the session's transcripts, or null for a session the node does not have */
  transcripts(session: string): Pick<UsageWatch, 'shown'> | null;
  /** the longest the gate waits for the response's line (default 2 s): then the hook goes, as without a gate */
  waitMs?: number;
}

const WAIT_MS = 2000;
/** the most tool calls of one batch the gate waits for */
const MAX_CALLS = 64;

/** The tool call ids of a PostToolBatch hook's input (`tool_calls[].tool_use_id`). */
export function batchCalls(input: unknown): string[] {
  const calls = (input as { tool_calls?: unknown } | null)?.tool_calls;
  if (!Array.isArray(calls)) return [];
  return calls
    .slice(0, MAX_CALLS)
    .map((c) => (c as { tool_use_id?: unknown } | null)?.tool_use_id)
    .filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 200);
}

/** The gate: resolves when the hook may be answered. */
export function turnGate(o: TurnGateOptions): (session: string, token: string, input: unknown) => Promise<void> {
  return async (session, token, input) => {
    if (!o.holds(session, token) || !o.covers(session)) return;
    const calls = batchCalls(input);
    const watch = o.transcripts(session);
    if (!calls.length || !watch) return;
    await watch.shown(calls, o.waitMs ?? WAIT_MS);
  };
}
