/**
 * The operator's organisation (the config's `org`: the folder of the org.yaml given to the nodes), loaded
 * as a registry overlay, and the classifier over its VPs' disciplines that triage uses: `agency run` and
 * the cockpit's new-task form place a task with it (cockpit/triage.ts), `agency classify` shows it.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { buildClassifier, type Ranked } from '../compiler/classify.js';
import type { TaskFit, TaskTriage, TriageOrg, TriageVp } from '../cockpit/triage.js';
import { configPath, loadConfig, type OperatorConfig } from '../config/config.js';
import { checkRegistryAt, formatProblem, ORG_FILE, type Registry } from '../registry/index.js';
import { baseRegistryDir } from '../paths/package.js';
import { UserError } from './output.js';

/** A discipline ranked for a task, with the VP that owns it. */
export interface VpRanked extends Ranked {
  vp: string;
}

export interface OrgTriage extends TaskTriage {
  /** the org folder, as the config names it, resolved */
  dir: string;
  /** the overlay laid over the base registry */
  registry: Registry;
  /** the organisation's disciplines (those its VPs own) ranked for a task, best first */
  rank(task: string): VpRanked[];
}

/** The organisation's VPs and their disciplines, from an overlay's org.yaml. */
function triageOrg(reg: Registry): TriageOrg {
  const org = reg.org!.value;
  return {
    id: org.id,
    name: org.name,
    vps: org.vps.map((v) => ({ id: v.id, name: v.name, disciplines: v.disciplines, nodes: v.nodes })),
  };
}

/**
 * Triage over a registry that holds an organisation: the index is built once, over the disciplines its VPs
 * own and no others, so a task goes to a VP or to none.
 */
export function triageOf(reg: Registry): OrgTriage {
  if (!reg.org) throw new Error(`${reg.root} holds no ${ORG_FILE}`);
  const org = triageOrg(reg);
  const owner = new Map<string, TriageVp>();
  for (const vp of org.vps) for (const d of vp.disciplines) owner.set(d, vp);
  const owned = new Map([...reg.disciplines].filter(([id]) => owner.has(id)));
  const classifier = buildClassifier({ ...reg, disciplines: owned });
  const rank = (task: string): VpRanked[] =>
    classifier.rank(task).map((r) => ({ ...r, vp: owner.get(r.discipline)!.id }));
  return {
    org,
    dir: reg.root,
    registry: reg,
    rank,
    fit(task: string, discipline?: string): TaskFit | null {
      if (discipline !== undefined) return { discipline, vp: owner.get(discipline) ?? null, matched: [] };
      const best = rank(task)[0];
      if (!best || best.score <= 0) return null;
      return { discipline: best.discipline, vp: owner.get(best.discipline)!, matched: best.matched };
    },
  };
}

/** The org folder the config names, resolved: `~/` from home, a relative path from the config file's folder. */
export function orgDirOf(org: string, config = configPath()): string {
  if (org === '~' || org.startsWith('~/')) return join(homedir(), org.slice(2));
  return isAbsolute(org) ? org : resolve(dirname(config), org);
}

/**
 * The organisation the operator config names, ready to triage with; null when it names none. A folder that
 * is missing, holds no org.yaml, or does not pass `agency registry check` is a UserError naming the files.
 */
export function loadOrgTriage(config: OperatorConfig = loadConfig(), file = configPath()): OrgTriage | null {
  if (config.org === undefined) return null;
  const dir = orgDirOf(config.org, file);
  const fix = `fix it, or take "org" out of ${file}`;
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`the organisation ${file} names (org: ${dir}) is not there: no such folder; ${fix}`);
  if (!existsSync(join(dir, ORG_FILE)))
    throw new UserError(`the organisation ${file} names (org: ${dir}) has no ${ORG_FILE}; ${fix}`);
  const { registry, problems } = checkRegistryAt(dir, baseRegistryDir());
  if (problems.length > 0 || !registry.org) {
    const shown = problems.map((p) => formatProblem({ ...p, file: isAbsolute(p.file) ? p.file : join(dir, p.file) }));
    throw new UserError(
      `the organisation ${file} names (org: ${dir}) has ${problems.length} problem(s):\n${shown.join('\n')}\n${fix} (agency registry check ${dir} lists them)`,
    );
  }
  return triageOf(registry);
}
