/**
 * Triage: classifying a task over a 16-VP organisation with 100 disciplines (an overlay generated into a
 * temporary folder, laid over the shipped registry): the time to load the overlay and build the index once,
 * and the time to rank one task, against the same over the shipped registry's 9 disciplines, measured in the
 * same run. Aim: under 50 ms per task.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { triageOf } from '../src/cli/org-triage.js';
import { buildClassifier } from '../src/compiler/classify.js';
import { defaultRegistryDir } from '../src/paths/package.js';
import { loadRegistry, loadRegistryAt } from '../src/registry/index.js';
import { percentile, report } from './stats.js';

const VPS = 16;
const DISCIPLINES = 100;
const AREAS = [
  'market',
  'risk',
  'fund',
  'trade',
  'client',
  'ledger',
  'model',
  'data',
  'policy',
  'report',
  'audit',
  'pricing',
  'treasury',
  'custody',
  'venue',
  'signal',
];
const ACTIONS = [
  'stress',
  'testing',
  'reconciliation',
  'forecast',
  'simulation',
  'monitoring',
  'review',
  'onboarding',
  'settlement',
  'attribution',
  'hedging',
  'valuation',
  'screening',
  'disclosure',
  'backtest',
  'allocation',
];
const WORDS = [
  'liquidity',
  'volatility',
  'exposure',
  'drawdown',
  'benchmark',
  'portfolio',
  'futures',
  'options',
  'bonds',
  'equities',
  'fx',
  'swap',
  'margin',
  'collateral',
  'counterparty',
  'regulator',
  'kyc',
  'aml',
  'prospectus',
  'investor',
  'letter',
  'dashboard',
  'pipeline',
  'scenario',
  'historical',
  'intraday',
  'factor',
  'alpha',
  'beta',
  'sharpe',
  'var',
  'cvar',
  'limit',
  'breach',
  'order',
  'execution',
  'slippage',
  'latency',
  'feed',
  'vendor',
  'nav',
  'fee',
  'invoice',
  'tax',
  'filing',
  'sec',
  'esma',
  'mifid',
  'ucits',
  'esg',
];

/** a small deterministic generator, so every run classifies the same organisation */
function rng(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function writeOrg(dir: string): void {
  const r = rng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  for (const f of ['disciplines', 'charters']) mkdirSync(join(dir, f), { recursive: true });
  const ids: string[] = [];
  for (let i = 0; i < DISCIPLINES; i++) {
    const area = AREAS[i % AREAS.length]!;
    const action = ACTIONS[Math.floor(i / AREAS.length) % ACTIONS.length]!;
    const id = `${area}-${action}-${i}`;
    ids.push(id);
    const keywords = [`${area} ${action}`, area, action, ...Array.from({ length: 12 }, () => pick(WORDS))];
    writeFileSync(
      join(dir, 'disciplines', `${id}.yaml`),
      [
        `id: ${id}`,
        `title: ${area} ${action} ${i}`,
        `description: Handles ${area} ${action} work with ${pick(WORDS)}, ${pick(WORDS)} and ${pick(WORDS)} for the fund.`,
        `keywords: [${[...new Set(keywords)].map((k) => JSON.stringify(k)).join(', ')}]`,
        `charter: ${id}`,
        'agents: [code-reviewer, test-writer]',
        'hooks: [guard-standard]',
      ].join('\n') + '\n',
    );
    writeFileSync(join(dir, 'charters', `${id}.md.hbs`), `# ${area} ${action}\n\n{{task}}\n`);
  }
  const vps = Array.from({ length: VPS }, (_, v) => ({
    id: `vp-${v + 1}`,
    name: `VP ${v + 1}`,
    persona: `The VP for ${AREAS[v]} work.`,
    mandate: `Answerable for ${AREAS[v]}.`,
    disciplines: ids.filter((_, i) => i % VPS === v),
    nodes: [`studio-${String(v + 1).padStart(2, '0')}`],
  }));
  writeFileSync(
    join(dir, 'org.yaml'),
    JSON.stringify(
      { schema: 1, id: 'fund', name: 'Fund', description: 'An AI-managed public-markets fund operator.', vps },
      null,
      2,
    ),
  );
}

const TASKS = [
  'Run a market stress test of the portfolio against historical drawdown scenarios',
  'Reconcile the ledger with the custody feed and flag every breach of the collateral limit',
  'Draft the quarterly investor letter with the fund performance attribution and fee summary',
  'Backtest the momentum signal on intraday futures and report slippage and latency',
  'Screen new clients for kyc and aml and prepare the onboarding filing',
  'Fix the typo in the README',
];

function timeOnce(f: () => unknown): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

export function benchTriage(rounds = 200): void {
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-org-'));
  try {
    writeOrg(dir);
    const base = defaultRegistryDir();
    const load: number[] = [];
    const loadBase: number[] = [];
    let triage = triageOf(loadRegistryAt(dir, base));
    let shipped = buildClassifier(loadRegistry(base));
    for (let i = 0; i < 5; i++) {
      load.push(timeOnce(() => (triage = triageOf(loadRegistryAt(dir, base)))));
      loadBase.push(timeOnce(() => (shipped = buildClassifier(loadRegistry(base)))));
    }
    if (triage.rank('x').length !== DISCIPLINES) throw new Error(`expected ${DISCIPLINES} disciplines ranked`);
    const rank: number[] = [];
    const rankBase: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const task = TASKS[i % TASKS.length]!;
      rank.push(timeOnce(() => triage.fit(task)));
      rankBase.push(timeOnce(() => shipped.rank(task)));
    }
    report(
      'triage: load + index, 16 VPs / 100 disc., p50',
      percentile(load, 50),
      'ms',
      percentile(loadBase, 50),
      'shipped 9 disciplines',
    );
    report(
      'triage: one task over 100 disciplines, p50',
      percentile(rank, 50),
      'ms',
      percentile(rankBase, 50),
      'shipped 9 disciplines',
    );
    report(
      'triage: one task over 100 disciplines, p95',
      percentile(rank, 95),
      'ms',
      percentile(rankBase, 95),
      'shipped 9 disciplines',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
