/** What the node wants the operator to know: written to its log, and listed in its NodeInfo, which `agency status` shows. */
import type { NodeInfo } from '../protocol/messages.js';

/** The newest warnings kept in NodeInfo; the log has them all. */
const KEPT = 20;

export function warnOperator(info: NodeInfo, text: string): void {
  process.stderr.write(`agency node: ${text}\n`);
  info.warnings = [...(info.warnings ?? []), text].slice(-KEPT);
}
