/**
 * agency's lifecycle hook: Claude Code runs it for SessionStart, UserPromptSubmit, PermissionRequest,
 * Notification, Stop, StopFailure and SessionEnd in a session the node started. It passes the event to the node over
 * the node's socket and, for PermissionRequest, prints the node's decision for Claude Code to follow.
 *
 * Its command line, compiled by the node into the session's settings, names the socket, the session and
 * the session's token (`hook.cjs <socket> <session> <token>`): nothing comes from the environment, which a
 * session's commands share. With no arguments (outside a node's session) it does nothing. If the node
 * cannot be reached it answers nothing, and Claude Code shows its own prompt, which the node's screen
 * rules then pick up.
 */
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { Connection } from '../protocol/connection.js';

async function main(): Promise<void> {
  const [socket, session, token] = process.argv.slice(2);
  if (!socket || !session || !token) return;
  const input: unknown = JSON.parse(readFileSync(0, 'utf8'));
  const event = (input as { hook_event_name?: unknown }).hook_event_name;
  if (typeof event !== 'string') throw new Error('hook input names no event');
  const stream = connect(socket);
  const conn = new Connection(stream, { role: 'hook', agent: 'hook', session, token });
  await conn.ready;
  const result = (await conn.request('hook', { session, event, input })) as { output?: unknown } | null;
  if (result && result.output !== undefined) process.stdout.write(JSON.stringify(result.output));
  conn.close();
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`agency hook: ${e.message}\n`);
    process.exit(0);
  },
);
