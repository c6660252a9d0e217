/**
 * Text between Slack and agency. Slack sends a message's text with its own markup (`<@U123>` for a mention,
 * `<https://x|label>` for a link, `&lt;` `&gt;` `&amp;` for the three characters it reserves); a task is the
 * plain text a person typed, without the mention of the app that brought it. What agency posts is text from
 * nodes and sessions: it is escaped so that it can neither ping anyone (`<!channel>`) nor make a link, and
 * kept short.
 */
import { escapeUnsafe } from '../protocol/safe-text.js';

/** Longest text of one message agency posts (Slack's own limit is far higher; a thread stays readable). */
export const MAX_POSTED = 2900;

/**
 * The task a message asks for: the app's own mentions taken out, other markup turned back into what a person
 * sees (a user or channel mention as `@U123` / `#C123`, a link as its URL), Slack's escapes undone.
 */
export function taskFromSlack(text: string, botUserId: string | null): string {
  const out = text.replace(/<([^<>]*)>/g, (_all, inner: string) => {
    const [target = '', label] = inner.split('|', 2) as [string, string | undefined];
    if (target.startsWith('@'))
      return botUserId !== null && target.slice(1) === botUserId ? '' : `@${label ?? target.slice(1)}`;
    if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
    if (target.startsWith('!')) return label ?? `@${target.slice(1).split('^')[0]}`;
    return target;
  });
  return out
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/^[ \t]+|[ \t]+$/gm, '')
    .trim();
}

/**
 * Text from a node or a session as Slack shows it: the characters Slack reads as markup escaped, unsafe
 * characters shown as escapes, line breaks kept only where asked, and at most `max` characters.
 */
export function slackSafe(text: string, o: { max?: number; lines?: boolean } = {}): string {
  const max = o.max ?? 300;
  const plain = escapeUnsafe(o.lines ? text : text.replace(/\s*\n\s*/g, ' '), o.lines ? 'newlines' : 'nothing');
  const short = plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
  return short.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Text as inline code: backticks inside it cannot close the span early. */
export function slackCode(text: string, max = 300): string {
  return `\`${slackSafe(text, { max }).replace(/`/g, "'")}\``;
}

/** A Slack user id as a mention, when it looks like one; anything else as plain text. */
export function mention(user: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(user) ? `<@${user}>` : slackSafe(user, { max: 64 });
}
