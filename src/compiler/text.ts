/** Turning untrusted text (a task, a title) into safe content for each kind of file. */
import { stripUnsafe } from '../protocol/safe-text.js';

/**
 * Normalises line ends and removes the characters unsafe to show (controls but tab and newline, DEL, C1,
 * bidi overrides and isolates): a reader of the file must see the text as it is stored.
 */
export function cleanText(text: string): string {
  return stripUnsafe(text.replace(/\r\n?/g, '\n'), 'layout');
}

/**
 * Text as a fenced Markdown block that nothing inside can close: the fence is longer than any run of
 * backticks in the text. Fenced, an `@path` in a task is not a CLAUDE.md import and a `#` is not a heading.
 */
export function fencedBlock(text: string, info = 'text'): string {
  const body = cleanText(text).replace(/\n+$/, '');
  let longest = 0;
  for (const m of body.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

/** Text as an inline code span that nothing inside can close (so `@path` is not an import there either). */
export function inlineCode(text: string): string {
  const body = oneLine(text);
  let longest = 0;
  for (const m of body.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const ticks = '`'.repeat(longest + 1);
  return `${ticks} ${body} ${ticks}`;
}

/** One line, for places such as a Markdown heading or a list item. */
export function oneLine(text: string, max = 120): string {
  const flat = cleanText(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Deterministic, readable JSON: two-space indent and a final newline. */
export function jsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
