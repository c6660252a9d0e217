/**
 * detectDialog: which dialog (if any) Claude Code is showing at the bottom of a headless screen, what
 * the rules say to do about it, and which option that means.
 *
 * Structure first (structure.ts: the last live menu, or a page ending in key hints), then the rules
 * in order (rules.json: the first match wins), then the choice by label (choose.ts).
 */
import { pickOption } from './choose.js';
import { detailsFor } from './details.js';
import { matchesSpec, zoneTexts } from './match.js';
import { unwrap } from './normalise.js';
import { DEFAULT_RULES } from './rules.js';
import { cleanLines, findDialog, screenTail, type Dialog } from './structure.js';
import type { Detection, Rule, RuleSet } from './types.js';

function classify(d: Dialog, rules: readonly Rule[]): Rule | undefined {
  const z = zoneTexts(d);
  return rules.find((r) => r.structure.includes(d.structure) && r.match.some((m) => matchesSpec(z, m)));
}

function detection(rule: Rule, d: Dialog): Detection {
  const out: Detection = {
    rule: rule.id,
    options: d.options,
    structure: d.structure,
    action: rule.action,
    text: [...d.prose.map((p) => unwrap(p)), ...d.options.map((o) => `${o.n}. ${o.label}`), ...d.footer].join('\n'),
  };
  if ('choose' in rule.action) {
    const picked = pickOption(d.options, rule.action.choose);
    if (picked) out.choice = { n: picked.n, label: picked.label };
    else {
      const shown = d.options.map((o) => `"${o.label}"`).join(', ') || 'no options';
      out.problem = `rule ${rule.id}: no option matches ${rule.action.choose.map((l) => `"${l}"`).join(' or ')} (the dialog shows ${shown})`;
    }
  }
  const details = detailsFor(rule, d);
  if (details) out.details = details;
  return out;
}

/**
 * The dialog showing at the bottom of `lines` (the visible rows of the terminal, top to bottom), or
 * null when there is none: the idle input box, Claude at work, or a dialog that a later screen has
 * left behind. Only the last dialog counts. The screen of a process that has exited still shows its
 * last frame: check that Claude is alive before acting on a detection.
 */
export function detectDialog(lines: readonly string[], rules: RuleSet = DEFAULT_RULES): Detection | null {
  const clean = cleanLines(lines);
  const dialog = findDialog(clean);
  if (dialog) {
    const rule = classify(dialog, rules.rules);
    if (rule) return detection(rule, dialog);
  }
  const tail = screenTail(clean);
  const rule = classify(tail, rules.rules);
  return rule ? detection(rule, tail) : null;
}
