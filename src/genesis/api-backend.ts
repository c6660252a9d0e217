/**
 * The Anthropic API backend: the official SDK (which honours ANTHROPIC_BASE_URL), ANTHROPIC_API_KEY, and one
 * forced tool whose input schema is the answer's schema. A retry continues the conversation: the answer, then
 * a tool result that is an error listing the problems.
 */
import Anthropic from '@anthropic-ai/sdk';
import { apiModelId, type Backend, BackendError, type CallRequest, retryText, type Turn } from './backend.js';

/** enough for the largest answer (a VP's disciplines with their charters), below the SDK's non-streaming ceiling */
const MAX_TOKENS = 16_000;

type Message = Anthropic.Messages.MessageParam;

export function apiBackend(model: string, env: NodeJS.ProcessEnv = process.env): Backend {
  const apiKey = env.ANTHROPIC_API_KEY?.trim();
  if (!apiKey)
    throw new BackendError(
      'the api backend needs ANTHROPIC_API_KEY in the environment: export it, or use --backend claude (your Claude Code login)',
    );
  const client = new Anthropic({ apiKey, ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}) });
  const id = apiModelId(model);

  const turn = async (req: CallRequest, messages: Message[]): Promise<Turn> => {
    let res: Anthropic.Messages.Message;
    try {
      res = await client.messages.create({
        model: id,
        max_tokens: MAX_TOKENS,
        messages,
        tools: [
          {
            name: req.name,
            description: `Give your answer (${req.name}) as this tool's input.`,
            input_schema: req.schema as Anthropic.Messages.Tool.InputSchema,
          },
        ],
        tool_choice: { type: 'tool', name: req.name },
      });
    } catch (e) {
      throw new BackendError(`the Anthropic API refused the call: ${apiErrorText(e)}`);
    }
    const tokens = { input: res.usage.input_tokens, output: res.usage.output_tokens };
    const use = res.content.find((b): b is Anthropic.Messages.ToolUseBlock => b.type === 'tool_use');
    const text = res.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    let value: unknown;
    let notJson: string | undefined;
    if (use) value = use.input;
    else {
      try {
        value = JSON.parse(text);
      } catch {
        notJson = `the answer was not JSON (no ${req.name} tool call, and the text does not parse)`;
      }
    }
    const next = (problems: readonly string[]): Message =>
      use
        ? {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: use.id, is_error: true, content: retryText(problems) }],
          }
        : { role: 'user', content: retryText(problems) };
    return {
      value,
      ...(notJson ? { notJson } : {}),
      tokens,
      retry: (problems) => turn(req, [...messages, { role: 'assistant', content: res.content }, next(problems)]),
    };
  };

  return { name: 'api', call: (req) => turn(req, [{ role: 'user', content: req.prompt }]) };
}

/** The API's own message, without anything of the request (the key is in a header the SDK never prints). */
function apiErrorText(e: unknown): string {
  if (e instanceof Anthropic.APIError) return `${e.status ?? 'no status'} ${e.message}`;
  return (e as Error)?.message ?? String(e);
}
