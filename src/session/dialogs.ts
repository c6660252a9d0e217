/**
 * The session's view of the dialog rules (prompts/): what is on the screen, the keys that answer it by
 * rule, or, for a permission prompt the rules put to the operator, the keys for either answer.
 */
import { detectDialog, keysFor, type Detection } from './prompts/index.js';

export interface DialogSeen {
  rule: string;
  /** identifies this dialog on this screen, so that it is answered once */
  key: string;
  /** bytes that answer it by rule, or null when the operator must decide */
  keys: string | null;
  choice?: string;
  details?: Detection['details'];
  /** for an operator's decision: the bytes for yes or no, or null if the dialog offers no such option */
  answer(approve: boolean): string | null;
}

export interface DialogDetector {
  detect(lines: string[]): DialogSeen | null;
}

const norm = (s: string) => s.toLowerCase().replace(/[\u2018\u2019]/g, "'").trim();

export const defaultDetector: DialogDetector = {
  detect(lines) {
    const d = detectDialog(lines);
    if (!d) return null;
    const key = `${d.rule}|${d.options.map((o) => `${o.n}.${o.label}`).join('|')}|${JSON.stringify(d.details ?? {})}`;
    const escalate = 'escalate' in d.action && d.action.escalate === true;
    return {
      rule: d.rule,
      key,
      keys: escalate ? null : keysFor(d),
      ...(d.choice ? { choice: d.choice.label } : {}),
      ...(d.details ? { details: d.details } : {}),
      answer(approve) {
        const labels = d.options.map((o) => ({ n: o.n, l: norm(o.label) }));
        const pick = approve
          ? labels.find((o) => o.l === 'yes') ?? labels.find((o) => o.l.startsWith('yes'))
          : labels.find((o) => o.l === 'no') ?? labels.find((o) => o.l.startsWith('no'));
        return pick ? String(pick.n) : approve ? null : '\x1b';
      },
    };
  },
};
