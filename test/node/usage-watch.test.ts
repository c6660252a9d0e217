/** The API errors a session's transcript records since its claude last started, from a real captured entry. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageWatch } from '../../src/node/usage-watch.js';
import type { SessionRecord } from '../../src/node/state-file.js';
import type { ApiTrouble } from '../../src/session/api-trouble.js';
import { mainTranscriptPath } from '../../src/session/cost/index.js';
import { tempDir } from '../helpers/tmp.js';

const CAPTURED = join(import.meta.dirname, '..', 'session', 'api-trouble', 'unauthorized-401', 'transcript-error.json');

let dir: ReturnType<typeof tempDir> | null = null;
afterEach(() => dir?.remove());

function watch(since: string): { seen: ApiTrouble[]; usage: UsageWatch } {
  dir = tempDir('agency-usage-');
  const entry = JSON.parse(readFileSync(CAPTURED, 'utf8'));
  const record = { id: 's-1', worktree: '/w/s-1', claudeSession: entry.sessionId, usage: {} } as SessionRecord;
  const file = mainTranscriptPath(dir.path, record.worktree, record.claudeSession);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ type: 'user', message: { role: 'user', content: 'say hello' } })}\n${JSON.stringify(entry)}\n`,
  );
  const seen: ApiTrouble[] = [];
  const usage = new UsageWatch(
    record,
    { CLAUDE_CONFIG_DIR: dir.path },
    () => undefined,
    (t) => seen.push(t),
  );
  usage.since(since);
  return { seen, usage };
}

describe('UsageWatch', () => {
  it('an API error written since the claude started is reported, with its status', async () => {
    const { seen, usage } = watch('2026-12-05T03:17:00.000Z');
    await usage.refresh(true);
    expect(seen).toEqual([
      { kind: 'auth', error: 'authentication_failed', status: 401, message: 'Invalid API key · Fix external API key' },
    ]);
    await usage.refresh(true);
    expect(seen).toHaveLength(1);
  });

  it('one written before (a run of the session before the node restarted) is over', async () => {
    const { seen, usage } = watch('2026-12-05T03:18:00.000Z');
    await usage.refresh(true);
    expect(seen).toEqual([]);
  });
});
