/** Human-readable views of node state. Text from sessions is made safe before it reaches the terminal. */
import type { FleetSnapshot } from '../cockpit/client.js';
import { budgetStopOf, decisionText } from '../cockpit/budget-text.js';
import { age, doing, dollars, stateText, tokens } from '../cockpit/format.js';
import { usageTokens } from '../cockpit/types.js';
import { countWorkers, liveModelsText, statesText } from '../cockpit/workers.js';
import type { Decision, SessionSummary } from '../protocol/messages.js';
import { safeLine } from '../terminal/index.js';

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

export function sessionLine(s: SessionSummary): string {
  const what = safeLine(doing(s));
  return [
    cut(s.id, 9),
    cut(stateText(s), 15),
    cut(s.discipline, 16),
    tokens(usageTokens(s.usage)).padStart(7),
    dollars(s.usage.costUsd).padStart(8),
    age(s.createdAt).padStart(4),
    ` ${cut(safeLine(s.task), 40)} ${s.openDecisions ? `[${s.openDecisions} waiting] ` : ''}${what}`,
  ].join(' ');
}

export function decisionLine(d: Decision): string {
  const stop = budgetStopOf(d);
  const what = stop ? decisionText(d) : `${cut(safeLine(d.tool), 12)} ${safeLine(d.summary)}`;
  return `${cut(d.id, 9)} ${cut(d.session, 9)} ${cut(d.state, 9)} ${safeLine(what)}`;
}

export function fleetText(s: FleetSnapshot): string {
  const lines: string[] = [];
  for (const n of s.nodes) {
    const where = n.info ? ` (${safeLine(n.info.host)}, agent ${n.info.agentVersion}, pid ${n.info.pid})` : '';
    lines.push(`node ${safeLine(n.name)} ${n.state}${where}${n.error ? `: ${safeLine(n.error)}` : ''}`);
    for (const w of n.info?.warnings ?? []) lines.push(`  warning: ${safeLine(w)}`);
    const limited = n.info?.rateLimited;
    if (limited)
      lines.push(`  rate-limited by the API until ${limited.until.slice(11, 19)} UTC: ${safeLine(limited.reason)}`);
    const workers = countWorkers(s.workers.filter((w) => w.node === n.name));
    const models = liveModelsText(workers);
    if (statesText(workers))
      lines.push(
        `  workers: ${statesText(workers)}${models ? ` (not ended: ${models})` : ''} (agency workers <session> lists them)`,
      );
    const sb = n.info?.sandbox;
    if (sb && sb.mode !== 'on')
      lines.push(
        `  ${sb.mode === 'off' ? 'UNSANDBOXED: its sessions run without the OS sandbox' : 'NO SANDBOX: it refuses to start sessions'}${sb.reason ? ` (${safeLine(sb.reason)})` : ''}`,
      );
  }
  if (s.sessions.length === 0) lines.push('no sessions; start one with agency run "<task>"');
  else {
    const multi = s.nodes.length > 1;
    lines.push(
      `${multi ? 'NODE'.padEnd(12) + ' ' : ''}${'SESSION'.padEnd(9)} ${'STATE'.padEnd(12)} ${'DISCIPLINE'.padEnd(16)} ${'TOKENS'.padStart(7)} ${'COST'.padStart(8)} ${'AGE'.padStart(4)}  TASK`,
    );
    for (const x of s.sessions) lines.push(`${multi ? cut(safeLine(x.node), 12) + ' ' : ''}${sessionLine(x)}`);
  }
  const open = s.decisions.filter((d) => d.state === 'open');
  if (open.length > 0) {
    lines.push('', 'DECISIONS WAITING');
    for (const d of open) lines.push(decisionLine(d));
  }
  return lines.join('\n');
}
