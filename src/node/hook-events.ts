/** What each Claude Code hook event says about a session's state. */
import type { SessionState } from '../protocol/messages.js';

export interface HookEffect {
  state?: SessionState;
  activity?: string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const firstLine = (s: string) =>
  s
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim() ?? '';

export function hookEffect(event: string, input: Record<string, unknown>): HookEffect {
  switch (event) {
    case 'SessionStart':
      return { activity: `session ${str(input.source) || 'started'}` };
    case 'UserPromptSubmit':
      return { state: 'working', activity: `prompt: ${firstLine(str(input.prompt))}` };
    case 'Notification':
      if (input.notification_type === 'idle_prompt') return { state: 'idle', activity: 'waiting for input' };
      return {};
    case 'Stop':
      return { state: 'idle', activity: firstLine(str(input.last_assistant_message)) || 'turn finished' };
    case 'SessionEnd':
      return { activity: `session ending (${str(input.reason) || 'other'})` };
    default:
      return {};
  }
}
