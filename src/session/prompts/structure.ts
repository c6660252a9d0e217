/**
 * Structural detection: where the last dialog on a screen is, before any rule says which one it is.
 *
 * Claude Code draws a dialog as the bottom-most thing on the screen: a rule (`────`) across the full
 * width, a heading, prose, sometimes tool input, a question, a menu of `N. label` options with `❯` on
 * the selected one (or a `[✔] name` checklist), and a footer of key hints. Text above the rule is the
 * transcript. When Claude exits its last frame stays on the screen, and earlier frames can stay above
 * later output; so only the LAST menu counts, and only if nothing from a later screen (the idle input
 * box, a transcript bullet) comes after it.
 */
import {
  cleanLine,
  indentOf,
  isBlank,
  isFooter,
  isLaterUi,
  isRule,
  normaliseText,
  paragraphs,
  parseOptionLine,
  wrapWidth,
  type OptionLine,
} from './normalise.js';
import type { DialogOption, Structure } from './types.js';

/** A dialog found on the screen, cut into the zones rules match against. Lines are cleaned, indentation kept. */
export interface Dialog {
  structure: Structure;
  options: DialogOption[];
  /** the rule above the dialog is on screen (so its first paragraph is Claude Code's heading) */
  hasTopRule: boolean;
  /** the first paragraph, when hasTopRule */
  heading: string[];
  /** paragraphs between the heading and the question (tool input, prose) */
  body: string[][];
  /** the paragraph just above the options (or above the footer) */
  question: string[];
  /** every paragraph above the options, in order (heading and question included) */
  prose: string[][];
  footer: string[];
  /** the width the screen wraps at */
  width: number;
}

/** How far past the wrap width a label line may stop and still be a wrapped line (paddings, box sides). */
const WRAP_SLACK = 8;
/** Non-blank lines tolerated under a menu that are neither footers nor known later UI. */
const MAX_TRAILING = 3;

interface Item {
  opt: OptionLine;
  label: string[];
  description: string[];
  /** the last line of the label as shown (for the wrap test) */
  lastLine: string;
}

interface Block {
  kind: OptionLine['kind'];
  items: Item[];
  start: number;
  end: number;
}

function continues(block: Block, opt: OptionLine): boolean {
  if (opt.kind !== block.kind) return false;
  if (opt.kind === 'checkbox') return true;
  const last = block.items[block.items.length - 1];
  return last !== undefined && opt.n === last.opt.n + 1;
}

/** Every run of options on the screen, top to bottom, with wrapped labels joined and descriptions apart. */
function optionBlocks(lines: readonly string[], width: number): Block[] {
  const blocks: Block[] = [];
  let cur: Block | null = null;
  let blanks = 0;
  let rules = 0;
  const close = () => {
    if (cur) blocks.push(cur);
    cur = null;
  };
  lines.forEach((line, i) => {
    const opt = parseOptionLine(line);
    if (opt) {
      if (!(cur && continues(cur, opt) && blanks <= 1 && rules <= 1)) {
        close();
        // a menu starts at 1; a stray "3. foo" in the transcript starts nothing
        if (opt.kind === 'numbered' && opt.n !== 1) return;
        cur = { kind: opt.kind, items: [], start: i, end: i };
      }
      cur!.items.push({ opt, label: [opt.label], description: [], lastLine: line });
      cur!.end = i;
      blanks = rules = 0;
      return;
    }
    if (!cur) return;
    if (isBlank(line)) {
      if (++blanks > 1) close();
      return;
    }
    if (isRule(line)) {
      // AskUserQuestion draws a rule between its last choices; anything else after a rule ends the menu
      if (++rules > 1) close();
      return;
    }
    const block: Block = cur;
    const item = block.items[block.items.length - 1];
    if (
      item &&
      blanks === 0 &&
      rules === 0 &&
      indentOf(line) > item.opt.itemCol &&
      !isFooter(line) &&
      !isLaterUi(line)
    ) {
      const text = line.trim();
      const firstWord = text.split(/\s+/)[0] ?? '';
      const wrapped =
        item.description.length === 0 && [...item.lastLine].length + 1 + [...firstWord].length > width - WRAP_SLACK;
      if (wrapped) {
        item.label.push(text);
        item.lastLine = line;
      } else {
        item.description.push(text);
      }
      block.end = i;
      return;
    }
    close();
  });
  close();
  return blocks;
}

function toOptions(block: Block): DialogOption[] {
  return block.items.map((it, idx) => {
    const o: DialogOption = {
      n: block.kind === 'checkbox' ? idx + 1 : it.opt.n,
      label: normaliseText(it.label.join(' ')),
      selected: it.opt.selected,
    };
    if (it.opt.checked !== undefined) o.checked = it.opt.checked;
    if (it.description.length) o.description = normaliseText(it.description.join(' '));
    return o;
  });
}

/**
 * What follows a menu: its footer lines, or null when a later screen follows it (the idle input box
 * between two rules, a transcript bullet, the exit message): then the menu is a stale frame.
 */
function trailingFooter(lines: readonly string[], from: number): string[] | null {
  const footer: string[] = [];
  let afterRule = false;
  let other = 0;
  for (let j = from; j < lines.length; j++) {
    const line = lines[j] ?? '';
    if (isBlank(line)) continue;
    if (isFooter(line)) {
      footer.push(normaliseText(line));
      continue;
    }
    if (isRule(line)) {
      afterRule = true;
      continue;
    }
    if (afterRule || isLaterUi(line) || ++other > MAX_TRAILING) return null;
  }
  return footer;
}

/** The start of the dialog that ends just above `from`: the line after the nearest rule above it. */
function dialogTop(lines: readonly string[], from: number): { top: number; hasTopRule: boolean } {
  for (let k = from - 1; k >= 0; k--) {
    const line = lines[k] ?? '';
    if (isRule(line)) return { top: k + 1, hasTopRule: true };
    if (isLaterUi(line)) return { top: k + 1, hasTopRule: false };
  }
  return { top: 0, hasTopRule: false };
}

function zones(lines: readonly string[], top: number, hasTopRule: boolean, end: number) {
  const prose = paragraphs(lines.slice(top, end));
  const heading = hasTopRule ? (prose[0] ?? []) : [];
  const question = prose[prose.length - 1] ?? [];
  const body = prose.slice(heading.length ? 1 : 0, -1);
  return { prose, heading, question, body };
}

/** The last menu (numbered options or checklist) on screen, if it is live. */
function menuDialog(lines: readonly string[], width: number): Dialog | null {
  const block = optionBlocks(lines, width).at(-1);
  if (!block) return null;
  if (block.kind === 'numbered' && block.items.length < 2) return null;
  const footer = trailingFooter(lines, block.end + 1);
  if (footer === null) return null;
  const options = toOptions(block);
  if (!options.some((o) => o.selected) && footer.length === 0) return null;
  const { top, hasTopRule } = dialogTop(lines, block.start);
  return {
    structure: block.kind === 'checkbox' ? 'checklist' : 'options',
    options,
    hasTopRule,
    ...zones(lines, top, hasTopRule, block.start),
    footer,
    width,
  };
}

/** A page with no menu whose last lines are key hints (`Press Enter to continue…`). */
function footerDialog(lines: readonly string[], width: number): Dialog | null {
  let end = lines.length - 1;
  while (end >= 0 && isBlank(lines[end] ?? '')) end--;
  if (end < 0 || !isFooter(lines[end] ?? '')) return null;
  let start = end;
  while (start > 0 && (isBlank(lines[start - 1] ?? '') || isFooter(lines[start - 1] ?? ''))) start--;
  const footer = lines
    .slice(start, end + 1)
    .filter((l) => !isBlank(l))
    .map(normaliseText);
  const { top, hasTopRule } = dialogTop(lines, start);
  return { structure: 'footer', options: [], hasTopRule, ...zones(lines, top, hasTopRule, start), footer, width };
}

/**
 * The structural dialog at the bottom of the screen: a live menu, else a footer-only page, else null.
 * Lines must already be cleaned (cleanLine).
 */
export function findDialog(lines: readonly string[]): Dialog | null {
  const width = wrapWidth(lines);
  return menuDialog(lines, width) ?? footerDialog(lines, width);
}

/** Whatever is below the last rule on the screen: for messages left behind with no menu at all. */
export function screenTail(lines: readonly string[]): Dialog {
  let r = lines.length - 1;
  while (r >= 0 && !isRule(lines[r] ?? '')) r--;
  const top = r + 1;
  return {
    structure: 'screen',
    options: [],
    hasTopRule: r >= 0,
    ...zones(lines, top, r >= 0, lines.length),
    footer: [],
    width: wrapWidth(lines),
  };
}

export const cleanLines = (lines: readonly string[]): string[] => lines.map(cleanLine);
