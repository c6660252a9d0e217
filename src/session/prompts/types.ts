/** The shapes of the dialog rules (rules.json) and of what the detector reports. */

/** Key names a rule may press (`keys.ts` turns them into bytes). */
export const KEY_NAMES = ['enter', 'escape', 'space', 'tab', 'up', 'down'] as const;
export type KeyName = (typeof KEY_NAMES)[number];

/**
 * What to do about a dialog. `report: true` asks the session to tell the operator that it happened
 * (e.g. a Settings Error means the user's own settings files are broken and were skipped).
 */
export type Action =
  | { choose: string[]; report?: boolean }
  | { keys: KeyName | KeyName[]; report?: boolean }
  | { escalate: true; report?: boolean }
  | { fail: string; report?: boolean };

/**
 * Fragments compared (lower case, quotes unified, whitespace collapsed, lines unwrapped) with one zone
 * of the dialog. A fragment starting with `^` must be at the start of the zone (for `options`: of a
 * label; for `text`: of a paragraph).
 */
export interface FragmentTest {
  /** every fragment must appear */
  all?: string[];
  /** at least one must appear */
  any?: string[];
  /** none may appear */
  none?: string[];
}

/**
 * Zones of a dialog:
 * - heading: its first paragraph, only when the rule Claude Code draws above every dialog is on
 *   screen (a dialog taller than the screen has lost its heading, and what is left at the top may be a
 *   tool's input, e.g. a long Bash command: never trusted as a heading);
 * - question: the paragraph just above the options (Claude Code's own text in every dialog);
 * - options: the option labels;
 * - footer: the hint lines under the options;
 * - text: everything, paragraph by paragraph (includes tool input: match it only where nothing a
 *   tool shows can reach, e.g. in a rule that escalates).
 */
export const ZONES = ['heading', 'question', 'options', 'footer', 'text'] as const;
export type Zone = (typeof ZONES)[number];
export type MatchSpec = Partial<Record<Zone, FragmentTest>>;

/**
 * The shape a dialog must have: numbered options (`❯ 1. Yes`), a checklist (`❯ [✔] fs`), only a
 * footer (`Press Enter to continue…`), or none at all (a message left on the screen).
 */
export const STRUCTURES = ['options', 'checklist', 'footer', 'screen'] as const;
export type Structure = (typeof STRUCTURES)[number];

/** Which detail a permission prompt's tool shows, and where (`details.ts`). */
export const DETAIL_FIELDS = ['command', 'file', 'url', 'call', 'mcp', 'path'] as const;
export type DetailField = (typeof DETAIL_FIELDS)[number];

export interface DetailKind {
  /** the tool name reported (`Bash`, `Write`…); `mcp` fields report `mcp__<server>__<tool>` when readable */
  tool?: string;
  /** fragments tested against the dialog's title line (the first line of the heading) */
  title?: string[];
  /** fragments tested against the question, when the title did not decide */
  question?: string[];
  field: DetailField;
}

export interface Rule {
  id: string;
  description: string;
  /** default ["options"] */
  structure: Structure[];
  /** alternatives: the rule applies when one of them matches (every zone in it passes) */
  match: MatchSpec[];
  action: Action;
  /** for escalated or reported dialogs: what to extract for the operator */
  details?: { question?: boolean; kinds?: DetailKind[] };
}

export interface RuleSet {
  version: 1;
  rules: Rule[];
}

export interface DialogOption {
  /** the number shown on screen (a checklist item: its position, from 1) */
  n: number;
  /** the whole label, unwrapped and normalised */
  label: string;
  /** the cursor (`❯`) is on it */
  selected: boolean;
  /** checklist items (and numbered items drawn with a box): ticked */
  checked?: boolean;
  /** lines shown under the label that are not its wrapped continuation (AskUserQuestion descriptions) */
  description?: string;
}

export interface Details {
  tool?: string;
  command?: string;
  file?: string;
  url?: string;
  question?: string;
}

export interface Detection {
  /** the id of the rule that recognised the dialog */
  rule: string;
  /** options in screen order (which is not always numeric order) */
  options: DialogOption[];
  /** how options are picked: by digit (`options`), by Space/Enter (`checklist`), or there are none */
  structure: Structure;
  action: Action;
  /** for a `choose` action: the option whose label matched, if one did */
  choice?: { n: number; label: string };
  /** for a `choose` action that matched no option: why (the session should escalate instead) */
  problem?: string;
  details?: Details;
  /** the dialog's text, normalised paragraph by paragraph (for logs and the operator) */
  text: string;
}
