/** The guard corpus (see corpus-cases.ts for what a case is): every case, from its three files. */
import { REACH } from './corpus-reach.js';
import { SHELL } from './corpus-shell.js';
import { WORK } from './corpus-work.js';
import type { CorpusCase } from './corpus-cases.js';

export type { CorpusCase } from './corpus-cases.js';

export const CORPUS: CorpusCase[] = [...WORK, ...SHELL, ...REACH];
