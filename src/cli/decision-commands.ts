/** `agency decisions`, `approve`, `deny`: the questions sessions put to the operator, on any node. */
import { budgetStopOf } from '../cockpit/budget-text.js';
import { parseAmount, type Amount } from '../protocol/economics.js';
import { decisionLine } from './format.js';
import { EXIT, printJson, say, UserError } from './output.js';
import { nodesOf, withCockpit } from './with-cockpit.js';

export async function decisions(o: { json?: boolean; all?: boolean }): Promise<void> {
  const snap = await withCockpit({ start: true }, (c) => c.status());
  const list = snap.decisions.filter((d) => o.all || d.state === 'open');
  if (o.json) printJson({ decisions: list });
  else if (list.length === 0) say('no decisions waiting');
  else for (const d of list) say(decisionLine(d));
}

export async function decide(
  approve: boolean,
  decision: string,
  o: { reason?: string; json?: boolean; amount?: string },
): Promise<void> {
  let amount: Amount | undefined;
  if (o.amount !== undefined) {
    const a = parseAmount(o.amount);
    if ('problem' in a) throw new UserError(`--amount: ${a.problem}`, EXIT.usage);
    amount = a;
  }
  const d = await withCockpit(nodesOf(decision), async (c) => {
    const found = await c.findDecision(decision);
    const stop = budgetStopOf(found);
    if (amount && !stop)
      throw new UserError(
        `decision ${found.id} is not about a budget (${found.tool}): --amount extends a budget; approve it without one`,
        EXIT.usage,
      );
    if (amount && stop && 'usd' in amount !== 'usd' in stop.limit)
      throw new UserError(
        `decision ${found.id}: this budget is in ${'usd' in stop.limit ? 'dollars: give --amount in dollars ($0.50)' : 'tokens: give --amount in tokens (200k)'}`,
        EXIT.usage,
      );
    return c.requestOn(found.node, 'decide', {
      decision: found.id,
      approve,
      ...(o.reason ? { reason: o.reason } : {}),
      ...(amount ? { amount } : {}),
    });
  });
  if (o.json) printJson(d);
  else say(`${d.id} ${d.state}`);
}
