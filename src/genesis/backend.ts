/**
 * What genesis asks of a model: one prompt, answered with JSON against a schema, and, when the answer does
 * not validate, one more turn with the problems. Two backends: `claude -p` (the operator's Claude Code login)
 * and the Anthropic API through its official SDK.
 */

export interface Tokens {
  input: number;
  output: number;
}

export interface CallRequest {
  /** what the answer is (a tool's name for the API backend): org, disciplines, agents */
  name: string;
  prompt: string;
  /** the JSON Schema of the answer */
  schema: Record<string, unknown>;
}

/** One answer: the JSON value (or why there is none), the tokens it took, and the way to send it back. */
export interface Turn {
  /** the answer's JSON value; undefined with `notJson` when the model gave no JSON */
  value: unknown;
  notJson?: string;
  tokens: Tokens;
  /** sends the answer back with its problems; the model answers again */
  retry(problems: readonly string[]): Promise<Turn>;
}

export interface Backend {
  readonly name: 'claude' | 'api';
  call(req: CallRequest): Promise<Turn>;
}

/** The backend could not be used at all (no key, no claude, the API refused): not the model's answer's fault. */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

/** The full model ids the API needs for the aliases claude understands; a full `claude-…` id is kept as it is. */
export const MODEL_IDS: Record<string, string> = {
  sonnet: 'claude-sonnet-5',
  opus: 'claude-opus-4-8',
  haiku: 'claude-haiku-4-5-20251001',
};

export const MODEL_PATTERN = /^(sonnet|opus|haiku|claude-[a-z0-9.-]+)$/;

export function apiModelId(model: string): string {
  return MODEL_IDS[model] ?? model;
}

/** The text that sends an answer back: its problems, one a line. */
export function retryText(problems: readonly string[]): string {
  return [
    'Your answer did not pass validation. Problems:',
    ...problems.map((p) => `- ${p}`),
    '',
    'Answer again with the whole corrected JSON, fixing every problem listed.',
  ].join('\n');
}
