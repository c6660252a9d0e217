/**
 * `agency genesis` for 3 VPs × 3 disciplines × 4 subagents, api backend, against the scripted Messages API
 * answering every call after a fixed delay: the wall time against the sum of the calls' times (the phases 2 and
 * 3 run their calls in parallel, with a pool of 9 so that all 9 disciplines fit, so the aim is near the longest
 * chain, 3 calls long), and calls and tokens.
 */
import { fileURLToPath } from 'node:url';
import { apiBackend, generate } from '../src/genesis/index.js';
import { startScriptedApi } from '../test/fixtures/messages-api.js';
import { genesisScenario } from '../test/helpers/genesis-script.js';
import { report } from './stats.js';

const BASE = fileURLToPath(new URL('../registry', import.meta.url));

export async function benchGenesis(delayMs = 250): Promise<void> {
  const api = await startScriptedApi(genesisScenario({ vps: 3, disciplines: 3, agents: 4 }, () => null, delayMs));
  try {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-bench-0000000000', ANTHROPIC_BASE_URL: api.url };
    const t0 = performance.now();
    const plan = await generate({
      description: 'An AI-managed public-markets fund operator',
      backend: apiBackend('sonnet', env),
      model: 'sonnet',
      vps: 3,
      base: BASE,
      out: '/nonexistent-genesis-bench',
      replace: false,
      nodes: ['local'],
      parallel: 9,
      cache: { get: () => undefined, put: () => undefined },
      env,
    });
    const wall = performance.now() - t0;
    const s = plan.stats;
    const perCall = s.callMs / s.made;
    report('genesis 3×3×4, wall vs sum of calls', wall, 'ms', s.callMs, `sum of ${s.made} calls`);
    report('genesis 3×3×4, wall vs a 3-call chain', wall, 'ms', 3 * perCall, '3 × mean call');
    console.log(
      `${'genesis 3×3×4, calls and tokens'.padEnd(44)} ${String(s.made).padStart(9)} calls      ${s.tokens.input} input + ${s.tokens.output} output tokens (delay ${delayMs} ms a call)`,
    );
  } finally {
    await api.close();
  }
}
