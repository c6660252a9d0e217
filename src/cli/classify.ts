/** `agency classify "<task>"`: the registry's disciplines ranked for a task, offline. */
import { buildClassifier } from '../compiler/classify.js';
import { EXIT, printJson, say, UserError } from './output.js';
import { loadValidRegistry, registryDir } from './registry-source.js';

export function classify(task: string, opts: { registry?: string; json?: boolean }): void {
  if (task.trim() === '') throw new UserError('the task is empty', EXIT.usage);
  const reg = loadValidRegistry(registryDir(opts.registry), { charters: false });
  const ranking = buildClassifier(reg).rank(task);
  const best = ranking[0] && ranking[0].score > 0 ? ranking[0].discipline : null;
  if (opts.json) {
    printJson({ task, best, ranking });
    return;
  }
  if (!best) say('no discipline matches this task; pass --discipline to choose one');
  const width = Math.max(...ranking.map((r) => r.discipline.length));
  for (const [i, r] of ranking.entries()) {
    const why = r.matched.length ? `  (${r.matched.slice(0, 6).join(', ')})` : '';
    say(`${String(i + 1).padStart(2)}. ${r.discipline.padEnd(width)}  ${r.score.toFixed(3).padStart(7)}${why}`);
  }
}
