/** When two reports say the same thing: a session's summary, the fleet's health. A repeat is not news to the views. */
import { sameFleetSpend } from './spend.js';
import type { SessionSummary } from '../protocol/messages.js';
import { sameByModel, type FleetHealth } from './summary.js';

/** Everything of a session but its output position: a change in outputSeq alone is not news for a summary. */
export function sameSession(a: SessionSummary, b: SessionSummary): boolean {
  for (const k of Object.keys(b) as (keyof SessionSummary)[]) {
    if (k === 'outputSeq' || k === 'usage') continue;
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    // the small records in a summary (its base, how its branch stands) arrive as new objects each time
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  const u = a.usage;
  const v = b.usage;
  return (
    u.inputTokens === v.inputTokens &&
    u.outputTokens === v.outputTokens &&
    u.cacheCreationTokens === v.cacheCreationTokens &&
    u.cacheReadTokens === v.cacheReadTokens &&
    u.costUsd === v.costUsd &&
    u.unpricedModels.length === v.unpricedModels.length
  );
}

export function sameHealth(a: FleetHealth, b: FleetHealth): boolean {
  return (
    a.nodesUp === b.nodesUp &&
    a.nodesTotal === b.nodesTotal &&
    a.live === b.live &&
    a.readyToLand === b.readyToLand &&
    a.decisions === b.decisions &&
    a.tokens === b.tokens &&
    a.costUsd === b.costUsd &&
    Math.round(a.tokensPerHour) === Math.round(b.tokensPerHour) &&
    a.costPerHour.toFixed(4) === b.costPerHour.toFixed(4) &&
    (Object.keys(a.sessions) as (keyof FleetHealth['sessions'])[]).every((k) => a.sessions[k] === b.sessions[k]) &&
    (Object.keys(a.workers) as (keyof FleetHealth['workers'])[]).every((k) => a.workers[k] === b.workers[k]) &&
    sameByModel(a.workerModels, b.workerModels) &&
    sameFleetSpend(a.spend, b.spend)
  );
}
