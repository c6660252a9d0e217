/**
 * What a turn costs against the budgets: its model's list price, and for a model with no known price the dearest
 * rate known (so a dollar budget fails closed instead of counting it $0), the operator told once per model.
 */
import {
  costOfModelKey,
  costUsd,
  FAST_MODEL_PRICES,
  MODEL_PRICES,
  type BillableTokens,
  type ModelPrice,
} from '../session/cost/index.js';

const FIELDS = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const;

function dearest(...tables: Readonly<Record<string, ModelPrice>>[]): ModelPrice {
  const p: ModelPrice = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
  for (const t of tables) for (const m of Object.values(t)) for (const f of FIELDS) p[f] = Math.max(p[f], m[f]);
  return p;
}

/** the dearest known rate per kind of token: of the standard prices, and of those and fast mode's */
export const DEAREST = dearest(MODEL_PRICES);
export const DEAREST_FAST = dearest(MODEL_PRICES, FAST_MODEL_PRICES);

const warned = new Set<string>();

/** The dollars of a turn of `modelKey` (`<model> (fast)` in fast mode) and whether its price was known. */
export function turnCost(
  modelKey: string,
  t: BillableTokens,
  warn: (text: string) => void,
): { usd: number; priced: boolean } {
  const known = costOfModelKey(modelKey, t);
  if (known !== null) return { usd: known, priced: true };
  const p = modelKey.endsWith(' (fast)') ? DEAREST_FAST : DEAREST;
  if (!warned.has(modelKey)) {
    warned.add(modelKey);
    warn(
      `no price is known for model ${JSON.stringify(modelKey)}: its turns count against dollar budgets at the dearest known rate ($${p.input} in, $${p.output} out per million tokens); an agency that knows its price counts it exactly`,
    );
  }
  return { usd: costUsd(p, t), priced: false };
}
