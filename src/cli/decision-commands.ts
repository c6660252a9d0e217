/** `agency decisions`, `approve`, `deny`: the questions sessions put to the operator, on any node. */
import { decisionLine } from './format.js';
import { printJson, say } from './output.js';
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
  o: { reason?: string; json?: boolean },
): Promise<void> {
  const d = await withCockpit(nodesOf(decision), async (c) => {
    const found = await c.findDecision(decision);
    return c.requestOn(found.node, 'decide', {
      decision: found.id,
      approve,
      ...(o.reason ? { reason: o.reason } : {}),
    });
  });
  if (o.json) printJson(d);
  else say(`${d.id} ${d.state}`);
}
