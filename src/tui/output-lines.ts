/**
 * A worker's output as lines for its view: what it said and which tools it called, then its result file.
 * Both come from a worker, so from a session's fan-out, so from elsewhere: every line is made plain text
 * here, once, as it arrives (as a diff's are); the view then only cuts lines to its width.
 */
import type { WorkerOutput } from '../cockpit/types.js';
import { plainLine } from './diff-lines.js';

/** What a line is, for its colour. */
export type OutputTone = 'plain' | 'meta' | 'result';

export interface OutputLine {
  readonly text: string;
  readonly tone: OutputTone;
}

/** Most lines kept of each part (the node bounds them too; a node that does not is cut here). */
export const MAX_OUTPUT_LINES = 20_000;

/** The lines, then the result; throws when the answer is not a worker's output. */
export function outputLines(o: WorkerOutput): OutputLine[] {
  if (!o || !Array.isArray(o.lines) || (o.result !== null && typeof o.result !== 'string'))
    throw new Error('not a worker output');
  const out: OutputLine[] = [];
  if (o.truncated) out.push({ text: '… its earlier lines were dropped', tone: 'meta' });
  const lines = o.lines.slice(-MAX_OUTPUT_LINES);
  for (const l of lines) out.push({ text: plainLine(String(l)), tone: 'plain' });
  if (lines.length === 0) out.push({ text: '(no output yet)', tone: 'meta' });
  if (o.result === null) {
    out.push({ text: '── no result yet ──', tone: 'meta' });
    return out;
  }
  out.push({ text: '── result ──', tone: 'meta' });
  const result = o.result.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  for (const l of result.slice(0, MAX_OUTPUT_LINES)) out.push({ text: plainLine(l), tone: 'result' });
  if (result.length > MAX_OUTPUT_LINES) out.push({ text: '… the rest of the result is left out', tone: 'meta' });
  return out;
}
