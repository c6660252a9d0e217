/**
 * The bytes to write to Claude Code's PTY to take a dialog's action.
 *
 * In a numbered menu a digit selects its option at once on 2.1.197 (no Enter), so the digit of the
 * option chosen by label is the answer, wherever the cursor is. Arrows (from the selected option, then
 * Enter) are the alternative where digits do not apply: options past 9, menus without numbers. A
 * checklist (the MCP servers list) toggles the item under the cursor with Space and confirms the
 * ticked set with Enter.
 *
 * Multi-key answers are fragile, digits are not (observed on 2.1.197 in tmux): written in one burst,
 * Up+Enter on the API key dialog confirmed the option selected BEFORE the Up ("No"); written one key
 * at a time, an Enter typed as soon as the cursor had moved was sometimes ignored. Write them with
 * splitKeys(), one key per write, wait for the screen to show each move, and look again after Enter.
 */
import type { Detection, DialogOption, KeyName } from './types.js';

export const KEY_BYTES: Readonly<Record<KeyName, string>> = {
  enter: '\r',
  escape: '\x1b',
  space: ' ',
  tab: '\t',
  up: '\x1b[A',
  down: '\x1b[B',
};

/**
 * Keys as separate writes: each escape sequence (an arrow) or character on its own. Claude Code 2.1.197
 * reads a burst such as Up+Enter as Enter on the option selected before the Up (observed in tmux), so
 * multi-key answers must be written one key at a time, each after the screen shows the previous one.
 */
export function splitKeys(keys: string): string[] {
  return keys.match(/\x1b\[[0-9;]*[A-Za-z]|\x1bO[A-Za-z]|[\s\S]/gu) ?? [];
}

function describeOptions(options: readonly DialogOption[]): string {
  return options.map((o) => `${o.n}. ${o.label}`).join(' | ') || 'no options';
}

function indexOfOption(options: readonly DialogOption[], n: number): number {
  const i = options.findIndex((o) => o.n === n);
  if (i < 0) throw new Error(`option ${n} is not in this dialog (it shows ${describeOptions(options)})`);
  return i;
}

/** where the cursor is: the selected option, or the first when none is marked */
const cursorIndex = (options: readonly DialogOption[]): number =>
  Math.max(
    0,
    options.findIndex((o) => o.selected),
  );

function moves(from: number, to: number): string {
  return (to > from ? KEY_BYTES.down : KEY_BYTES.up).repeat(Math.abs(to - from));
}

/** Down/Up from the selected option to option `targetN` (by screen position, not by number), then Enter. */
export function keysToSelectByArrows(options: readonly DialogOption[], targetN: number): string {
  return moves(cursorIndex(options), indexOfOption(options, targetN)) + KEY_BYTES.enter;
}

/**
 * For a checklist: walk down from the cursor, Space on each item whose tick should change, then Enter.
 * `want(option)` says whether an item should end up ticked.
 */
export function keysToSetChecklist(options: readonly DialogOption[], want: (o: DialogOption) => boolean): string {
  let pos = cursorIndex(options);
  let out = '';
  options.forEach((o, i) => {
    if (want(o) === (o.checked ?? false)) return;
    out += moves(pos, i) + KEY_BYTES.space;
    pos = i;
  });
  return out + KEY_BYTES.enter;
}

/** The keys that pick option `n` of a detected dialog: its digit when that selects it, else arrows. */
export function keysForOption(d: Pick<Detection, 'options' | 'structure'>, n: number): string {
  indexOfOption(d.options, n);
  if (d.structure === 'checklist') return keysToSetChecklist(d.options, (o) => o.n === n);
  return n >= 1 && n <= 9 ? String(n) : keysToSelectByArrows(d.options, n);
}

/**
 * The keys that take the detection's action: the chosen option's digit, or the rule's keys.
 * Returns '' when there is nothing to type: an `escalate` or `fail` action, or a `choose` that matched
 * no option (see `detection.problem`) — the session must hand those to the operator.
 */
export function keysFor(d: Detection): string {
  const a = d.action;
  if ('keys' in a) return (Array.isArray(a.keys) ? a.keys : [a.keys]).map((k) => KEY_BYTES[k]).join('');
  if ('choose' in a && d.choice) return keysForOption(d, d.choice.n);
  return '';
}
