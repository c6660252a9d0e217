/**
 * The node's economics and oversight, as its ops reach them: the settings the operator's config gives it, the
 * spend it records per turn (budgets are enforced from it, `agency cost` reads it), and its audit trail.
 */
import { join } from 'node:path';
import type { AuditSink } from '../audit/sink.js';
import { AuditLog } from '../audit/log.js';
import { RemoteError } from '../protocol/connection.js';
import {
  noSpend,
  type AuditVerify,
  type CostBy,
  type CostResult,
  type NodeSpend,
  type SpendElsewhere,
} from '../protocol/economics.js';
import type { OpArgs, OpResults } from '../protocol/messages.js';
import type { NodeSettingsStore } from './settings-store.js';
import { MemoryLedger, type SpendLedger } from '../budget/ledger.js';
import { SpendLog, spendDir } from '../budget/spend-log.js';
import type { TurnSink } from './usage-watch.js';

export interface NodeEconomics {
  settings: NodeSettingsStore;
  /** the audit trail every module appends to */
  audit: AuditSink;
  /** the spend the node records per turn: budgets are enforced from it */
  ledger: SpendLedger & TurnSink;
  /** what the rest of the fleet spent today (`budget-sync`) */
  sync(a: SpendElsewhere): void;
  /** the recorded spend, grouped (`cost`) */
  cost(a: OpArgs['cost']): CostResult | Promise<CostResult>;
  /** what the node spent today and in the last hours, for snapshots */
  spend(): NodeSpend;
  /** the audit trail read (`audit`) and checked (`audit-verify`) */
  readAudit(a: OpArgs['audit']): OpResults['audit'] | Promise<OpResults['audit']>;
  verifyAudit(): AuditVerify | Promise<AuditVerify>;
}

/** What the node's economics are built from. */
export interface EconomicsOptions {
  home: string;
  settings: NodeSettingsStore;
  /** the node's name: its row in `cost` by node (default `local`) */
  node?: string;
  /** `memory`: keep the spend in memory only, answering no `cost` (tools); default: the ledger on disk */
  ledger?: 'disk' | 'memory';
  /** tells the operator of a ledger line that was skipped */
  warn?: (text: string) => void;
  /** the node's audit trail, when the daemon opened it (default: opened in `<home>/audit`) */
  audit?: AuditLog;
}

/** Where a node keeps its audit trail. */
export const auditDir = (home: string): string => join(home, 'audit');

const notYet = (what: string) => () => {
  throw new RemoteError('failed', `this node does not keep ${what} yet`);
};

/** The node's economics. */
export function createEconomics(o: EconomicsOptions): NodeEconomics {
  const audit = o.audit ?? AuditLog.open({ dir: auditDir(o.home), node: o.node ?? 'local' });
  const log =
    o.ledger === 'memory' ? null : SpendLog.open({ dir: spendDir(o.home), ...(o.warn ? { warn: o.warn } : {}) });
  return {
    settings: o.settings,
    audit,
    ledger: log ?? new MemoryLedger(),
    sync: () => undefined,
    cost: log
      ? (a) => log.query(a.by as CostBy, a.since === undefined ? null : new Date(a.since), o.node ?? 'local')
      : notYet('spend records'),
    spend: log
      ? () => log.spend()
      : () => ({ day: new Date().toISOString().slice(0, 10), today: noSpend(), hours: [], vps: {} }),
    readAudit: (a) => audit.read(a),
    verifyAudit: () => audit.verify(),
  };
}
