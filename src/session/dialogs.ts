/**
 * The session's view of the dialog rules (prompts/): what is on the screen, and what to do about it —
 * answer it by rule, put it to the operator (with the keys for either answer), or give up on the session.
 */
import { detectDialog, keysFor, keysForOption, pickOption, type Detection } from './prompts/index.js';

export interface DialogSeen {
  rule: string;
  /** identifies this dialog on this screen, so that it is answered once */
  key: string;
  /** keys that answer it by rule (one string per key press), or null when it is not answered by rule */
  keys: string[] | null;
  choice?: string;
  /** the session cannot go on past this dialog (e.g. a login screen): why */
  fail?: string;
  /** the rule asks that this dialog be reported to the operator when answered */
  report?: boolean;
  details?: Detection['details'];
  /** for an operator's decision: the keys for yes or no, or null if the dialog offers no such option */
  answer(approve: boolean): string[] | null;
}

export interface DialogDetector {
  detect(lines: string[]): DialogSeen | null;
}

/** Key presses, one string each: an escape sequence is one press. */
function presses(keys: string): string[] {
  return keys.match(/\x1b\[[0-9;]*[A-Za-z~]|\x1bO[A-Z]|[\s\S]/g) ?? [];
}

export const defaultDetector: DialogDetector = {
  detect(lines) {
    const d = detectDialog(lines);
    if (!d) return null;
    const key = `${d.rule}|${d.options.map((o) => `${o.n}.${o.label}`).join('|')}|${JSON.stringify(d.details ?? {})}`;
    const a = d.action;
    const base = {
      rule: d.rule,
      key,
      ...(a.report ? { report: true } : {}),
      ...(d.details ? { details: d.details } : {}),
      answer(approve: boolean) {
        const o = approve ? pickOption(d.options, ['Yes']) : pickOption(d.options, ['No']);
        if (o) return presses(keysForOption(d, o.n));
        return approve ? null : ['\x1b'];
      },
    };
    if ('fail' in a) return { ...base, keys: null, fail: a.fail };
    // a rule that matched no option it knows (a reworded dialog) goes to the operator rather than guess
    if ('escalate' in a || ('choose' in a && !d.choice)) return { ...base, keys: null };
    const keys = keysFor(d);
    if (keys === '') return { ...base, keys: null };
    return { ...base, keys: presses(keys), ...(d.choice ? { choice: d.choice.label } : {}) };
  },
};
