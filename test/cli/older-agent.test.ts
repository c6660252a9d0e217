/**
 * An older agent's refusals of what organisations added (`org-apply`, a run's `vp`) become the advice to push
 * the node; other refusals pass as they are.
 */
import { describe, expect, it } from 'vitest';
import { olderAgentHint } from '../../src/cli/older-agent.js';
import { dispatch, type OpContext } from '../../src/node/ops.js';
import { RemoteError } from '../../src/protocol/connection.js';
import { parseOpArgs } from '../../src/protocol/ops.js';

async function refusal(p: Promise<unknown>): Promise<RemoteError> {
  return p.then(
    () => {
      throw new Error('not refused');
    },
    (e: unknown) => e as RemoteError,
  );
}

describe('olderAgentHint', () => {
  it('an operation the agent does not know: push the node', async () => {
    // what a node answers for an operation it has no handler for (an agent from before org-apply, for one)
    const e = await refusal(dispatch('org-apply-v9', {}, { role: 'cockpit' } as never, {} as OpContext));
    expect(olderAgentHint('box1', e)).toBe(
      'node box1 runs an older agency agent, which cannot take an organisation; run agency push --node box1',
    );
  });

  it('a run refused for its vp key: push the node; other refusals are not a matter of the agent’s age', () => {
    // the words an agent from before VPs uses: its run schema has no vp, as run-split's has none now
    const split = parseOpArgs('run-split', { task: 'x', repo: '/r', vp: 'risk' });
    expect(split).toEqual({ ok: false, problem: 'run-split.vp: unknown key' });
    const old = new RemoteError('bad-request', 'run.vp: unknown key');
    expect(olderAgentHint('box2', old)).toBe(
      "node box2 runs an older agency agent, which cannot record a task's VP; run agency push --node box2",
    );
    expect(olderAgentHint('box2', new RemoteError('bad-request', 'run.discipline: unknown discipline "x"'))).toBeNull();
    expect(olderAgentHint('box2', new RemoteError('failed', 'unknown operation'))).toBeNull();
  });
});
