/**
 * The scripted steps of the per-tool-call benchmarks, and how a call's latency is read off the scripted
 * API: the time from the API answering with a tool_use to the client's next request, which carries the
 * tool's result. That gap is what the client spends on the call: its hooks, its permission rules, the
 * tool itself, and drawing the result.
 */
import type { RecordedRequest, Scenario, Step, ToolResult } from '../test/fixtures/messages-api.js';

export interface ToolSteps {
  scenario: Scenario;
  /** the tool of each step, in order */
  tools: string[];
}

/** `bash` Bash calls (`echo n`), then a Read, a Write, an Edit and a Read of a file in the worktree. */
export function toolSteps(bash: number, fileTools = true): ToolSteps {
  const steps: Step[] = [];
  const tools: string[] = [];
  for (let i = 0; i < bash; i++) {
    steps.push({ tool: 'Bash', input: { command: `echo ${i}`, description: 'count' } });
    tools.push('Bash');
  }
  if (fileTools) {
    const at = (cwd: string | null, f: string) => `${cwd ?? '.'}/${f}`;
    steps.push(({ cwd }) => ({ tool: 'Read', input: { file_path: at(cwd, 'README.md') } }));
    steps.push(({ cwd }) => ({ tool: 'Write', input: { file_path: at(cwd, 'bench-notes.txt'), content: 'one\n' } }));
    steps.push(({ cwd }) => ({
      tool: 'Edit',
      input: { file_path: at(cwd, 'bench-notes.txt'), old_string: 'one', new_string: 'two' },
    }));
    steps.push(({ cwd }) => ({ tool: 'Read', input: { file_path: at(cwd, 'bench-notes.txt') } }));
    tools.push('Read', 'Write', 'Edit', 'Read');
  }
  return { scenario: { steps: [...steps, { text: 'done' }] }, tools };
}

export interface CallLatency {
  tool: string;
  ms: number;
}

/**
 * One latency per scripted tool call, from the main conversation's requests: the first request with k
 * assistant turns answered step k; the first with k+1 turns carries its result. The first call of a
 * session is left out (it pays for warming up: the first shell, the first hook).
 */
export function callLatencies(requests: RecordedRequest[], tools: string[]): CallLatency[] {
  const first = new Map<number, number>();
  for (const r of requests) if (r.kind === 'main' && !first.has(r.turns)) first.set(r.turns, r.at);
  const out: CallLatency[] = [];
  for (let k = 1; k < tools.length; k++) {
    const a = first.get(k);
    const b = first.get(k + 1);
    if (a !== undefined && b !== undefined) out.push({ tool: tools[k]!, ms: b - a });
  }
  return out;
}

/** A call that failed (blocked, or refused for want of permission) measures something else: stop. */
export function expectAllRan(results: ToolResult[], where: string): void {
  const failed = results.find((r) => r.isError);
  if (failed) throw new Error(`a tool call failed in ${where}: ${failed.content.slice(0, 300)}`);
}
