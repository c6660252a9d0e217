/** Opening the cockpit for a command, and turning a node's errors into the user's errors. */
import { Cockpit } from '../cockpit/client.js';
import { RemoteError } from '../protocol/connection.js';
import { EXIT, UserError } from './output.js';

export async function withCockpit<T>(
  opts: { start?: boolean; nodes?: string[]; live?: boolean },
  f: (c: Cockpit) => Promise<T>,
): Promise<T> {
  const cockpit = await Cockpit.open(opts);
  try {
    return await f(cockpit);
  } catch (e) {
    if (e instanceof RemoteError) throw new UserError(e.message, e.code === 'bad-request' ? EXIT.usage : EXIT.failure);
    throw e;
  } finally {
    cockpit.close();
  }
}

/** The node a `node/id` reference names, so that a command aimed at it connects to it alone. */
export function nodesOf(ref: string | undefined): { nodes?: string[] } {
  return ref && ref.includes('/') ? { nodes: [ref.split('/', 1)[0]!] } : {};
}
