/**
 * Claude Code's hook events for a session: the state and activity each reports, the API refusing the session
 * (StopFailure), and the answer to a PermissionRequest, by the session's policy or, when the policy escalates,
 * by the operator through a decision.
 */
import type { AuditSink } from '../audit/sink.js';
import type { GuardPolicy } from '../guard/policy.js';
import { troubleFromHook } from '../session/api-trouble.js';
import type { Session } from '../session/session.js';
import type { ApiRefusals } from './api-refusals.js';
import { describeCall, judge } from './approvals.js';
import type { Decisions } from './decisions.js';
import { hookEffect } from './hook-events.js';
import type { ScreenAnswers } from './screen-answers.js';
import type { SessionRecord } from './state-file.js';
import type { UsageWatch } from './usage-watch.js';

/** The session a hook event is for, as far as answering it goes. */
export interface HookTarget {
  readonly record: Pick<SessionRecord, 'id' | 'worktree'>;
  readonly session: Pick<Session, 'setState' | 'setActivity' | 'current'> | null;
  readonly usage: Pick<UsageWatch, 'refresh'>;
  readonly dialogs: Pick<ScreenAnswers, 'duringHook'>;
  readonly refusals: Pick<ApiRefusals, 'seen' | 'settled' | 'moved' | 'sendingOn'>;
}

export interface HookAnswersOptions {
  node: string;
  /** the home directory that policy paths such as ~/.ssh are read against */
  home: string;
  decisions: Pick<Decisions, 'open' | 'openFor' | 'answer' | 'isWaited' | 'forget'>;
  /** the policy the node compiled for a session: its own copy, not the worktree's, which the session could change */
  policy(session: string): GuardPolicy;
  /** where the answers the policy gives by itself are recorded */
  audit?: AuditSink;
}

type HookOutput = { output?: unknown };

export class HookAnswers {
  constructor(private readonly o: HookAnswersOptions) {}

  /** A hook event from the session's claude; for PermissionRequest, the answer Claude Code is to follow. */
  async answer(t: HookTarget, event: string, raw: unknown, closed: Promise<void>): Promise<HookOutput> {
    const input = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (event === 'StopFailure') {
      // the transcript's entry for the error has its HTTP status, which the hook's input lacks: read it first
      await t.usage.refresh(true);
      t.refusals.seen(troubleFromHook(input));
      return {};
    }
    if (event !== 'PermissionRequest') {
      const effect = hookEffect(event, input);
      // a turn that ends while a decision is open, or the API made it wait, is still waiting for the operator;
      // one the node is about to send on is still at work
      const now = t.session?.current;
      const blocked = (now?.state === 'needs-input' && now.reason !== null) || t.refusals.sendingOn;
      if (effect.state === 'idle' && (blocked || this.o.decisions.openFor(t.record.id).length > 0)) delete effect.state;
      // a turn that ended well: the next outage gets the node's tries anew; a new prompt needs no sending on
      if (event === 'Stop') t.refusals.settled();
      if (event === 'UserPromptSubmit') t.refusals.moved();
      if (effect.state)
        t.session?.setState(effect.state, effect.activity !== undefined ? { activity: effect.activity } : {});
      else if (effect.activity) t.session?.setActivity(effect.activity);
      if (event === 'Stop') void t.usage.refresh();
      return {};
    }
    return t.dialogs.duringHook(() => this.permission(t, input, closed));
  }

  private async permission(t: HookTarget, input: Record<string, unknown>, closed: Promise<void>): Promise<HookOutput> {
    const tool = typeof input.tool_name === 'string' ? input.tool_name : 'unknown';
    const summary = describeCall(tool, input.tool_input);
    t.session?.setActivity(`${tool}: ${summary}`);
    const policy = this.o.policy(t.record.id);
    const verdict = judge(policy, tool, input.tool_input, {
      root: t.record.worktree,
      cwd: typeof input.cwd === 'string' ? input.cwd : t.record.worktree,
      home: this.o.home,
    });
    if (verdict.kind !== 'escalate') {
      const allow = verdict.kind === 'allow';
      const block = verdict.kind === 'deny' && verdict.rule === 'guard';
      this.o.audit?.append({
        kind: block ? 'guard-block' : 'decision-answered',
        by: `policy:${verdict.rule}`,
        session: t.record.id,
        summary: `${allow ? 'allowed' : block ? 'guard blocked' : 'denied'}: ${tool} ${summary}${allow ? '' : ` (${verdict.message})`}`,
        detail: { tool, call: summary, approve: allow, ...(allow ? {} : { reason: verdict.message }) },
      });
      return allow ? permissionAnswer('allow') : permissionAnswer('deny', verdict.message);
    }
    const { decisions } = this.o;
    const d = decisions.open({
      node: this.o.node,
      session: t.record.id,
      tool,
      summary,
      input: input.tool_input,
      source: 'hook',
    });
    t.session?.setState('needs-input', { activity: `waiting for the operator: ${tool} ${summary}` });
    const answered = decisions.answer(d.id);
    // if Claude Code gives up on the hook (its timeout), the prompt stays on the screen and is answered there
    void closed.then(() => {
      if (decisions.isWaited(d.id)) decisions.forget(d.id);
    });
    const a = await answered;
    t.session?.setState('working', { activity: `${a.approve ? 'approved' : 'denied'}: ${tool} ${summary}` });
    return a.approve
      ? permissionAnswer('allow')
      : permissionAnswer('deny', `The operator denied this${a.reason ? `: ${a.reason}` : '.'}`);
  }
}

function permissionAnswer(behavior: 'allow' | 'deny', message?: string): HookOutput {
  return {
    output: {
      hookSpecificOutput: {
        hookEventName: 'PermissionRequest',
        decision: { behavior, ...(message ? { message } : {}) },
      },
    },
  };
}
