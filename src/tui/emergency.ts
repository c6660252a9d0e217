/**
 * The emergency stop: every live session on every reachable node, asked for fresh from each node (not from
 * what the cockpit last heard), stopped in parallel. Nodes that are down are named in the outcome.
 */
import { isLive, type CockpitPort, type FleetState, type SessionSummary } from '../cockpit/types.js';

export interface StopOutcome {
  stopped: number;
  /** sessions that could not be stopped, and nodes that could not be reached */
  failed: number;
  text: string;
}

export async function stopEverything(fleet: FleetState, port: CockpitPort): Promise<StopOutcome> {
  const problems: string[] = [];
  let stopped = 0;
  await Promise.all(
    fleet.order.map(async (node) => {
      if (fleet.nodes.get(node)?.link !== 'up') {
        const known = (fleet.sessions.get(node) ?? []).filter(isLive).length;
        if (known > 0) problems.push(`${node} is unreachable (${known} session${known === 1 ? '' : 's'} not stopped)`);
        return;
      }
      let sessions: readonly SessionSummary[];
      try {
        sessions = (await port.request(node, 'status', {})).sessions;
      } catch {
        sessions = fleet.sessions.get(node) ?? [];
      }
      await Promise.all(
        sessions.filter(isLive).map(async (s) => {
          try {
            await port.request(node, 'stop', { session: s.id });
            stopped++;
          } catch (e) {
            problems.push(`${node}/${s.id}: ${(e as Error).message}`);
          }
        }),
      );
    }),
  );
  const text = `emergency stop: ${stopped} session${stopped === 1 ? '' : 's'} stopped${problems.length ? `; ${problems.join('; ')}` : ''}`;
  return { stopped, failed: problems.length, text };
}
