/**
 * Tiered results: a worker writes its findings to a file of its own and ends it with a line `DONE`; its
 * reply, cut to one sentence, is all its manager reads of it. A worker is done only when the sentinel is
 * there. The file is the worker's and the worker is not trusted: it is read in bounded size, only when it is
 * a regular file reached without a symbolic link, and what is read is plain text.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { singleLine, stripUnsafe } from '../protocol/safe-text.js';

/** where a worker writes its findings, relative to its cwd (agency's compiled `.context/` is excluded from git) */
export const RESULT_FILE = '.context/result.md';
/** the line that ends a finished result file */
export const SENTINEL = 'DONE';
/** most of a result file read */
export const MAX_RESULT_BYTES = 256 * 1024;
/** of a larger file, the end read to find its sentinel */
const TAIL_BYTES = 4 * 1024;
/** longest reply the manager gets */
export const SENTENCE_CHARS = 300;

/** The instructions appended to a worker's prompt: where its findings go, the sentinel, a one-sentence reply. */
export function resultInstructions(absPath: string): string {
  return [
    'How to report:',
    `- Write your findings to the file ${absPath} with the Write tool, as its whole content: what you found or changed, with the file paths and details a reader needs. Make its last line exactly ${SENTINEL} (that line tells agency you have finished).`,
    `- If you cannot do the task, write what you found and what stopped you to the same file, still ending with ${SENTINEL}.`,
    '- Then reply with one sentence only, saying what you did. Put everything else in the file: nothing more of your reply is read.',
  ].join('\n');
}

export interface ResultRead {
  /** the last non-empty line is exactly DONE */
  done: boolean;
  /** the findings, without the sentinel line: plain text, line breaks and tabs kept */
  text: string;
  /** the file was larger than what is read: `text` is its beginning */
  truncated: boolean;
  /** why it is not done, or could not be read; null when done */
  problem: string | null;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

const plain = (b: Buffer) => stripUnsafe(b.toString('utf8').replace(/\r\n?/g, '\n'), 'layout');

/** Reads a result file (at most 256 KB of it): done only when its last non-empty line is exactly DONE. */
export function readResult(absPath: string): ResultRead {
  const failed = (problem: string): ResultRead => ({ done: false, text: '', truncated: false, problem });
  const dir = dirname(absPath);
  try {
    if (!lstatSync(dir).isDirectory()) return failed(`${dir} is not a folder (a link?); the result was not read`);
  } catch {
    return failed(`no result file: ${dir} does not exist`);
  }
  let fd: number;
  try {
    // no following a link the worker made, no waiting on a pipe it put there
    fd = openSync(absPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return failed(`no result file at ${absPath}`);
    if (code === 'ELOOP') return failed(`${absPath} is a symbolic link; it was not read`);
    return failed(`${absPath} could not be read (${code ?? (e as Error).message})`);
  }
  let head: Buffer;
  let tail: Buffer | null = null;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return failed(`${absPath} is not a regular file; it was not read`);
    if (st.size <= MAX_RESULT_BYTES) head = readAt(fd, 0, MAX_RESULT_BYTES);
    else {
      head = readAt(fd, 0, MAX_RESULT_BYTES - TAIL_BYTES);
      tail = readAt(fd, st.size - TAIL_BYTES, TAIL_BYTES);
    }
  } catch (e) {
    return failed(`${absPath} could not be read (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }

  const text = plain(head);
  const lines = (tail ? plain(tail) : text).split('\n');
  let last = lines.length - 1;
  while (last >= 0 && !lines[last]!.trim()) last--;
  const done = last >= 0 && lines[last]!.trim() === SENTINEL;
  if (tail) {
    const problem = done ? null : `${absPath} does not end with a line ${SENTINEL}`;
    return { done, text: text.trimEnd(), truncated: true, problem };
  }
  if (!done) {
    const problem = text.trim() ? `${absPath} does not end with a line ${SENTINEL}` : `${absPath} is empty`;
    return { done, text: text.trimEnd(), truncated: false, problem };
  }
  return { done, text: lines.slice(0, last).join('\n').trimEnd(), truncated: false, problem: null };
}

/**
 * One sentence of a reply, plain text on one line, at most 300 characters: what the manager's context gets.
 * A sentence ends at `.`, `!` or `?` followed by a space and a capital letter, a digit or an opening mark (so
 * "e.g. the file" does not end one), or at the end of the text.
 */
export function oneSentence(reply: string): string {
  const t = singleLine(reply).replace(/\s+/g, ' ').trim();
  const end = /[.!?](?= [A-Z0-9"'“‘(`*[])/.exec(t);
  const first = end ? t.slice(0, end.index + 1) : t;
  if (first.length <= SENTENCE_CHARS) return first;
  const cut = first.slice(0, SENTENCE_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > SENTENCE_CHARS / 2 ? cut.slice(0, space) : cut}…`;
}
