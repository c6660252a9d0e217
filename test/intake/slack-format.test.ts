/** What the Slack intake posts and reads: messages built from agency's shapes, and Slack's markup both ways. */
import { describe, expect, it } from 'vitest';
import {
  actionTarget,
  answeredMessage,
  budgetMessage,
  decisionMessage,
  startedMessage,
  stateMessage,
} from '../../src/intake/slack-format.js';
import { slackSafe, taskFromSlack } from '../../src/intake/slack-text.js';
import { noUsage, type Decision, type SessionSummary } from '../../src/protocol/messages.js';

function session(over: Partial<SessionSummary> = {}): SessionSummary {
  return {
    id: 's-1a2b3c',
    node: 'studio-01',
    state: 'working',
    task: 'fix it',
    discipline: 'backend',
    repo: '/r',
    origin: null,
    base: null,
    landing: null,
    worktree: '/w',
    branch: 'agency/s-1a2b3c',
    model: null,
    claudeSession: 'c',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:01.000Z',
    endedAt: null,
    exitCode: null,
    reason: null,
    activity: '',
    usage: noUsage(),
    openDecisions: 0,
    vp: null,
    outputSeq: 0,
    ...over,
  };
}

function decision(over: Partial<Decision> = {}): Decision {
  return {
    id: 'd-9f8e7d',
    node: 'studio-01',
    session: 's-1a2b3c',
    tool: 'Bash',
    summary: 'rm -rf build',
    input: {},
    source: 'hook',
    state: 'open',
    by: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    answeredAt: null,
    reason: null,
    ...over,
  };
}

describe('what the intake posts', () => {
  it('the first reply names the session, node, discipline and VP', () => {
    const m = startedMessage(session({ vp: 'risk', model: 'sonnet' }), 'VP Risk has no node up');
    expect(m.text).toContain(
      'Started session `studio-01/s-1a2b3c` on node *studio-01*: discipline *backend*, VP *risk*, model `sonnet`.',
    );
    expect(m.text).toContain('_VP Risk has no node up_');
    expect(startedMessage(session()).text).not.toContain('VP');
  });

  it('a state change says the way it went and where it is now, with the result when it ends', () => {
    expect(stateMessage(session({ state: 'needs-input' }), ['working', 'needs input']).text).toBe(
      ':raised_hand: `s-1a2b3c` working → *needs input*',
    );
    const done = stateMessage(
      session({ state: 'idle', activity: 'wrote the fix', usage: { ...noUsage(), costUsd: 0.0123 } }),
      ['working'],
    );
    expect(done.text).toBe(':white_check_mark: `s-1a2b3c` working → *done* (spent $0.0123): wrote the fix');
    expect(stateMessage(session({ state: 'failed', reason: 'claude exited with 1' })).text).toBe(
      ':x: `s-1a2b3c` *failed*: claude exited with 1',
    );
    expect(stateMessage(session({ state: 'paused', held: 'budget' })).text).toContain('*paused for budget*');
  });

  it('text from a node can neither ping a channel nor make a link', () => {
    const m = stateMessage(session({ state: 'failed', reason: 'boom <!channel> <https://evil.example|click> & more' }));
    expect(m.text).not.toMatch(/<[!h]/);
    expect(m.text).toContain('boom &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more');
    expect(slackSafe('a\u001b[31mred\nline')).toBe('a\\u001b[31mred line');
    expect(slackSafe('x'.repeat(500), { max: 10 })).toBe(`${'x'.repeat(9)}…`);
  });

  it('an open decision has Approve and Deny buttons that name it; answered, the buttons go and who answered is said', () => {
    const open = decisionMessage(decision());
    expect(open.text).toBe(':raised_hand: Decision `d-9f8e7d` of `studio-01/s-1a2b3c`: Bash `rm -rf build`');
    const actions = open.blocks!.find((b) => b.type === 'actions');
    expect(actions && actions.type === 'actions' && actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      ['agency_approve', 'studio-01/d-9f8e7d'],
      ['agency_deny', 'studio-01/d-9f8e7d'],
    ]);
    const approved = answeredMessage(decision({ state: 'approved', by: 'slack:U0ABC' }));
    expect(approved.text).toContain(':white_check_mark: *Approved* by <@U0ABC>');
    expect(JSON.stringify(approved.blocks)).not.toContain('agency_approve');
    expect(answeredMessage(decision({ state: 'denied', by: 'operator', reason: 'not now' })).text).toContain(
      '*Denied* by the operator: not now',
    );
    expect(answeredMessage(decision({ state: 'approved', by: 'policy:allow-rm' })).text).toContain(
      'by policy `allow-rm`',
    );
    expect(answeredMessage(decision({ state: 'withdrawn', by: 'node' })).text).toContain('*Withdrawn*');
    expect(answeredMessage(decision({ state: 'approved', by: 'slack:<!here>' })).text).not.toContain('<!here>');
  });

  it("a button's value is read back only when it names a node and a decision", () => {
    expect(actionTarget('studio-01/d-9f8e7d')).toEqual({ node: 'studio-01', decision: 'd-9f8e7d' });
    for (const bad of [
      'd-9f8e7d',
      '/d-9f8e7d',
      'studio-01/../../etc',
      'n/d-XYZ',
      'n/d-1 ; rm',
      42,
      null,
      `n/d-${'a'.repeat(200)}`,
    ])
      expect(actionTarget(bad)).toBeNull();
  });

  it('budget notices say whose budget, how much of it, and what happens', () => {
    const stopped = budgetMessage({
      scope: 'session',
      subject: 's-1a2b3c',
      state: 'stopped',
      limit: { usd: 0.02 },
      spent: 0.0213,
      session: 's-1a2b3c',
      decision: 'd-aa',
      at: '2025-01-01T00:00:00.000Z',
    });
    expect(stopped.text).toBe(
      ':double_vertical_bar: the budget of `s-1a2b3c` ran out ($0.0213 of $0.02): its sessions are paused; decision `d-aa` asks to extend it',
    );
    const vp = budgetMessage({
      scope: 'vp',
      subject: 'risk',
      state: 'warned',
      limit: { tokens: 200_000 },
      spent: 161_000,
      session: null,
      decision: null,
      at: '2025-01-01T00:00:00.000Z',
    });
    expect(vp.text).toBe(":warning: VP `risk`'s daily budget is nearly spent (161k tokens of 200k tokens)");
  });
});

describe('what the intake reads', () => {
  it("a task is the text without the app's mention, Slack's markup turned back into what a person sees", () => {
    expect(taskFromSlack('<@UBOT> fix the &lt;api&gt; &amp; tests', 'UBOT')).toBe('fix the <api> & tests');
    expect(
      taskFromSlack('ask <@U0ALICE|alice> about <#C0GEN|general>, see <https://x.example/a?b=1|the doc>', 'UBOT'),
    ).toBe('ask @alice about #general, see https://x.example/a?b=1');
    expect(taskFromSlack('<!here> fix it', 'UBOT')).toBe('@here fix it');
    expect(taskFromSlack('  <@UBOT>   ', 'UBOT')).toBe('');
    expect(taskFromSlack('line one\n  line two  ', null)).toBe('line one\nline two');
  });
});
