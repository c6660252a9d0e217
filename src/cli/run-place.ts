/**
 * Where `agency run` starts a task that names no node (cockpit/run-place.ts), with a note on stderr saying
 * why a task runs where its VP is not.
 */
import type { Cockpit } from '../cockpit/client.js';
import { placeRun as place, type RunPlace } from '../cockpit/run-place.js';
import type { OrgTriage } from './org-triage.js';
import { warn } from './output.js';

export type { RunPlace } from '../cockpit/run-place.js';

/** The node, discipline and VP of a run with no --node; notes on stderr say why a task runs where its VP is not. */
export async function placeRun(
  c: Cockpit,
  triage: OrgTriage | null,
  task: string,
  discipline: string | undefined,
): Promise<RunPlace> {
  const { note, ...p } = await place(c, triage, task, discipline);
  if (note) warn(`agency: ${note}`);
  return p;
}
