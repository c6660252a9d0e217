/**
 * Tokens that reach a manager's context for 30 workers: tiered (each worker writes its findings to its result
 * file and answers one sentence; coordinators sum each group up in at most 300 words; wait_workers carries
 * only those) against flat (every worker's whole output comes back into the manager's context, as when a
 * session spawns 30 subagents itself). The same code paths the node runs: oneSentence, clampWords and
 * waitResult. Tokens are counted at 4 characters each, the usual rule of thumb for English text and code.
 */
import { clampWords } from '../src/dispatch/coordinator.js';
import { oneSentence } from '../src/dispatch/results.js';
import { waitResult } from '../src/dispatch/views.js';
import { noUsage } from '../src/protocol/messages.js';
import type { RunRecord, WorkerRecord } from '../src/dispatch/worker-table.js';
import { report } from './stats.js';

const WORKERS = 30;
const GROUPS = ['api', 'storage', 'ui'];
/** a worker's findings: what 30 subagents' outputs came to in the field, about 5,000 tokens each */
const RESULT_CHARS = 20_000;
const tokens = (s: string) => Math.ceil(s.length / 4);

function findings(i: number): string {
  const line = (k: number) =>
    `- src/module-${i}/file-${k}.ts:${10 + k}: the handler calls the old client directly; it should go through the adapter (see tests/module-${i}.test.ts)\n`;
  let out = `# Findings of worker ${i}\n\n`;
  for (let k = 0; out.length < RESULT_CHARS; k++) out += line(k);
  return out;
}

/** What a model answers at the end of its turn: a sentence, and often more it was told not to say. */
function reply(i: number): string {
  return `Worker ${i} found ${(i % 7) + 2} call sites of the old client in src/module-${i} and listed each with its fix in the result file. I also noticed the tests there are slow; details follow in the file.`;
}

/** a coordinator's summary as a model writes it: plain English, at its 300-word limit */
function summary(group: string, members: number): string {
  const sentence = `The ${group} workers found call sites of the old client that should go through the adapter, and each listed its fixes.`;
  const words: string[] = [`Group ${group} (${members} workers):`];
  while (words.length < 320) words.push(...sentence.split(' '));
  return words.join(' ');
}

function record(i: number, state: WorkerRecord['state'], extra: Partial<WorkerRecord> = {}): WorkerRecord {
  const now = new Date().toISOString();
  return {
    id: `w-${i.toString(16).padStart(6, '0')}`,
    name: `task-${i}`,
    session: 's-000001',
    run: 'r-000001',
    group: GROUPS[i % GROUPS.length]!,
    role: 'worker',
    model: 'haiku',
    write: false,
    discipline: 'engineering',
    state,
    task: `part ${i}`,
    activity: 'done',
    attempts: 1,
    sentence: oneSentence(reply(i)),
    reason: null,
    branch: null,
    worktree: null,
    createdAt: now,
    startedAt: now,
    endedAt: now,
    updatedAt: now,
    usage: noUsage(),
    prompt: `Look into part ${i}.`,
    paths: null,
    order: i,
    claudeSession: '00000000-0000-0000-0000-000000000000',
    pid: null,
    cwd: null,
    resolves: null,
    ...extra,
  };
}

export function benchWorkerTokens(): void {
  const workers = Array.from({ length: WORKERS }, (_, i) => record(i, 'done'));
  const flat = workers.reduce((n, _, i) => n + tokens(findings(i)) + tokens(reply(i)), 0);

  const run: RunRecord = {
    id: 'r-000001',
    session: 's-000001',
    coordinate: false,
    createdAt: new Date().toISOString(),
    groups: GROUPS,
    merged: [],
    sentBack: [],
    decisions: [],
  };
  const sentences = tokens(JSON.stringify(waitResult(run, workers)));
  const coordinators = GROUPS.map((g, k) =>
    record(100 + k, 'done', {
      role: 'coordinator',
      group: g,
      name: `${g}.coordinator`,
      sentence: clampWords(summary(g, 10), 300),
    }),
  );
  const coordinated = tokens(JSON.stringify(waitResult({ ...run, coordinate: true }, [...workers, ...coordinators])));

  console.log(`tokens reaching the manager for ${WORKERS} workers (4 characters a token; aim: at most 1,500)`);
  report('tiered, one sentence per worker', sentences, 'tokens', flat, 'flat', sentences / flat);
  report('tiered, coordinators (3 groups, 300 words)', coordinated, 'tokens', flat, 'flat', coordinated / flat);
  console.log(
    `flat: ${flat} tokens; tiered is ${(flat / sentences).toFixed(0)}× and ${(flat / coordinated).toFixed(0)}× smaller`,
  );
}
