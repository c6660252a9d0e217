/** What the node's modules append to the audit trail through: the trail itself, or nothing (tests, tools). */
import type { AuditEntry } from '../protocol/economics.js';

/** An entry as a module gives it; the trail adds seq, time, node and the chain. */
export type AuditInput = Pick<AuditEntry, 'kind' | 'by' | 'summary'> & {
  session?: string | null;
  detail?: Record<string, unknown>;
};

export interface AuditSink {
  append(e: AuditInput): void;
}

/** Appends nowhere. */
export const NO_AUDIT: AuditSink = { append: () => undefined };
