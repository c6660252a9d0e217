/** What the guard concludes about a call: allow it, refuse it, or put it to the operator. */
export type Decision = { verdict: 'allow' } | { verdict: 'deny'; reason: string } | { verdict: 'ask'; reason: string };

/**
 * What checking one call found. A refusal outranks a question; the first reason of each kind is the
 * one given. `ask` is for what the guard cannot see through (a script fed to a shell, code the agent
 * wrote run outside the sandbox): the operator decides, and no allow rule may decide instead.
 */
export class Findings {
  deny: string | null = null;
  ask: string | null = null;

  add(verdict: 'deny' | 'ask', reason: string | null): void {
    if (reason === null) return;
    if (verdict === 'deny') this.deny ??= reason;
    else this.ask ??= reason;
  }

  decision(): Decision {
    if (this.deny !== null) return { verdict: 'deny', reason: this.deny };
    if (this.ask !== null) return { verdict: 'ask', reason: this.ask };
    return { verdict: 'allow' };
  }
}
