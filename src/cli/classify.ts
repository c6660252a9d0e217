/**
 * `agency classify "<task>"`: the registry's disciplines ranked for a task, offline. With an organisation
 * configured (and no --registry), the organisation's disciplines (those its VPs own), each with its VP, and
 * the VP the task would go to, as `agency run` triages it.
 */
import { buildClassifier, type Ranked } from '../compiler/classify.js';
import { loadOrgTriage, type OrgTriage } from './org-triage.js';
import { EXIT, printJson, say, UserError } from './output.js';
import { loadValidRegistry, registryDir } from './registry-source.js';

export function classify(task: string, opts: { registry?: string; json?: boolean }): void {
  if (task.trim() === '') throw new UserError('the task is empty', EXIT.usage);
  const triage = opts.registry === undefined ? loadOrgTriage() : null;
  if (triage) return classifyForOrg(task, triage, opts);
  const reg = loadValidRegistry(registryDir(opts.registry), { charters: false });
  const ranking = buildClassifier(reg).rank(task);
  const best = ranking[0] && ranking[0].score > 0 ? ranking[0].discipline : null;
  if (opts.json) {
    printJson({ task, best, ranking });
    return;
  }
  if (!best) say('no discipline matches this task; pass --discipline to choose one');
  printRanking(ranking);
}

function classifyForOrg(task: string, triage: OrgTriage, opts: { json?: boolean }): void {
  const ranking = triage.rank(task);
  const fit = triage.fit(task);
  const vp = fit?.vp ? { id: fit.vp.id, name: fit.vp.name, nodes: [...fit.vp.nodes] } : null;
  if (opts.json) {
    printJson({ task, org: triage.org.id, best: fit?.discipline ?? null, vp, ranking });
    return;
  }
  // names and ids are plain one-line text: org.yaml's schema refuses control characters
  const org = `${triage.org.name} (${triage.org.id})`;
  if (!vp)
    say(`no discipline of the organisation ${org} matches this task; agency run sends it to the least loaded node`);
  else say(`VP ${vp.name} (${vp.id}) of ${org}${vp.nodes.length ? `, on ${vp.nodes.join(', ')}` : ''}`);
  printRanking(ranking);
}

function printRanking(ranking: readonly (Ranked & { vp?: string })[]): void {
  const width = Math.max(...ranking.map((r) => r.discipline.length));
  const vpWidth = Math.max(0, ...ranking.map((r) => (r.vp ?? '').length));
  for (const [i, r] of ranking.entries()) {
    const why = r.matched.length ? `  (${r.matched.slice(0, 6).join(', ')})` : '';
    const vp = r.vp !== undefined ? `  ${r.vp.padEnd(vpWidth)}` : '';
    say(`${String(i + 1).padStart(2)}. ${r.discipline.padEnd(width)}${vp}  ${r.score.toFixed(3).padStart(7)}${why}`);
  }
}
