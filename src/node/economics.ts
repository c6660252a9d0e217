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
  type CostResult,
  type NodeSpend,
  type SpendElsewhere,
} from '../protocol/economics.js';
import type { OpArgs, OpResults } from '../protocol/messages.js';
import type { NodeSettingsStore } from './settings-store.js';
import { MemoryLedger, type SpendLedger } from '../budget/ledger.js';

export interface NodeEconomics {
  settings: NodeSettingsStore;
  /** the audit trail every module appends to */
  audit: AuditSink;
  /** the spend the node records per turn: budgets are enforced from it */
  ledger: SpendLedger;
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
  /** the node's name, as its audit entries carry it */
  node?: string;
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
  return {
    settings: o.settings,
    audit,
    ledger: new MemoryLedger(),
    sync: () => undefined,
    cost: notYet('spend records'),
    spend: () => ({ day: new Date().toISOString().slice(0, 10), today: noSpend(), hours: [], vps: {} }),
    readAudit: (a) => audit.read(a),
    verifyAudit: () => audit.verify(),
  };
}
