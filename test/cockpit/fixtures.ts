/** Events as nodes send them: the recorded ones from a real node, and builders for the shapes around them. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CockpitEvent, FleetSnapshot } from '../../src/cockpit/client.js';
import type { LinkStatus } from '../../src/fleet/link.js';
import type { Decision, Landing, SessionSummary } from '../../src/protocol/messages.js';
import { noUsage } from '../../src/protocol/messages.js';

/**
 * `agency watch --json` from a real local node (real Claude Code, scripted API): a session starts, asks to
 * run `cp README.md copy.md`, which the policy escalates; the operator approves; the session goes idle.
 */
export function recorded(name = 'local-decision'): { snapshot: FleetSnapshot; events: CockpitEvent[] } {
  const lines = readFileSync(fileURLToPath(new URL(`./fixtures/${name}.ndjson`, import.meta.url)), 'utf8')
    .trim()
    .split('\n');
  const all = lines.map((l) => JSON.parse(l) as { kind: string; snapshot?: FleetSnapshot });
  return { snapshot: all[0]!.snapshot!, events: all.slice(1) as CockpitEvent[] };
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const at = (ms: number) => new Date(T0 + ms).toISOString();

export function link(name: string, state: LinkStatus['state'] = 'up', error: string | null = null): LinkStatus {
  return {
    name,
    transport: 'ssh',
    state,
    error,
    since: at(0),
    info:
      state === 'up'
        ? {
            name,
            agentVersion: '0.1.0',
            build: 'dev',
            protocol: 1,
            host: `${name}.lan`,
            platform: 'darwin-arm64',
            pid: 100,
            startedAt: at(0),
          }
        : null,
  };
}

export function session(node: string, id: string, patch: Partial<SessionSummary> = {}): SessionSummary {
  return {
    id,
    node,
    state: 'working',
    task: `task of ${id}`,
    discipline: 'backend',
    repo: '/repo',
    origin: null,
    base: null,
    landing: null,
    worktree: `/wt/${id}`,
    branch: `agency/${id}`,
    model: null,
    claudeSession: '00000000-0000-0000-0000-000000000000',
    createdAt: at(0),
    updatedAt: at(0),
    endedAt: null,
    exitCode: null,
    reason: null,
    activity: 'thinking',
    openDecisions: 0,
    outputSeq: 0,
    usage: noUsage(),
    ...patch,
  };
}

/** How a session's branch stands: by default one commit ahead of its base, two files changed, not merged. */
export function landing(patch: Partial<Landing> = {}): Landing {
  return { ahead: 1, behind: 0, filesChanged: 2, merged: false, dirty: false, measuredAt: at(1), ...patch };
}

export function decision(node: string, id: string, sessionId: string, patch: Partial<Decision> = {}): Decision {
  return {
    id,
    node,
    session: sessionId,
    tool: 'Bash',
    summary: 'cp README.md copy.md',
    input: { command: 'cp README.md copy.md' },
    source: 'hook',
    state: 'open',
    createdAt: at(0),
    answeredAt: null,
    reason: null,
    ...patch,
  };
}

export const nodeEvent = (l: LinkStatus): CockpitEvent => ({ kind: 'node', node: l });
export const sessionEvent = (s: SessionSummary): CockpitEvent => ({ kind: 'session', session: s });
export const decisionEvent = (d: Decision): CockpitEvent => ({ kind: 'decision', decision: d });

/** A fleet of `nodes` nodes named studio-01…, each with `perNode` working sessions. */
export function fleetEvents(nodes: number, perNode: number): CockpitEvent[] {
  const out: CockpitEvent[] = [];
  for (let n = 1; n <= nodes; n++) {
    const name = `studio-${String(n).padStart(2, '0')}`;
    out.push(nodeEvent(link(name)));
    for (let i = 1; i <= perNode; i++)
      out.push(sessionEvent(session(name, `s-${n}${String(i).padStart(3, '0')}`, { activity: `editing file ${i}` })));
  }
  return out;
}
