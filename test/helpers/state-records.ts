/** Records of a node's state.json as the node writes them, for tests that seed or corrupt one. */
import { join } from 'node:path';

export function sessionRecord(home: string, id = 's-abc123', fields: Record<string, unknown> = {}) {
  const at = '2026-01-02T03:04:05.000Z';
  return {
    id,
    state: 'exited',
    task: 'fix the bug',
    discipline: 'backend',
    repo: '/srv/repo',
    origin: null,
    base: null,
    landing: null,
    worktree: join(home, 'worktrees', 'repo-0a1b2c3d', id),
    branch: `agency/${id}`,
    model: null,
    claudeSession: '0b7e2a4c-1f3d-4e5a-8b9c-0d1e2f3a4b5c',
    createdAt: at,
    updatedAt: at,
    endedAt: at,
    exitCode: 0,
    reason: null,
    activity: 'turn finished',
    usage: {
      inputTokens: 10,
      outputTokens: 5,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      costUsd: 0.01,
      unpricedModels: [],
    },
    outputSeq: 0,
    registry: null,
    resumes: 0,
    ...fields,
  };
}

export function decisionRecord(session = 's-abc123', id = 'd-0f0f0f', fields: Record<string, unknown> = {}) {
  return {
    id,
    node: 'local',
    session,
    tool: 'Bash',
    summary: 'git push origin main',
    input: { command: 'git push origin main' },
    source: 'hook',
    state: 'open',
    createdAt: '2026-01-02T03:04:05.000Z',
    answeredAt: null,
    reason: null,
    ...fields,
  };
}
