/**
 * The three phases: the organisation and its VPs (one call), each VP's disciplines (one call per VP, in
 * parallel within a pool), each discipline's subagents (one call per discipline, likewise). A re-run over an
 * organisation generated from the same sentence takes its VPs from its org.yaml (the operator may have edited
 * them, and dropped disciplines from a VP), so only what changed is asked again; the rest comes from the cache.
 */
import { join } from 'node:path';
import { checkRegistry, formatProblem, ORG_FILE } from '../registry/index.js';
import type { Backend } from './backend.js';
import type { AnswerCache } from './cache.js';
import { ask, askAll, type CallContext, type CallSpec, type CallStats, newStats, pool } from './calls.js';
import { clashProblems, duplicateProblems, secretValues } from './checks.js';
import { GenesisError } from './errors.js';
import { type ExistingOrg, existingOrg } from './existing.js';
import { recoverInterrupted } from './writer.js';
import { agentsPrompt, type Choice, disciplinesPrompt, orgPrompt, type VpBrief } from './prompts.js';
import {
  type AgentAnswer,
  agentsAnswerSchema,
  type DisciplineAnswer,
  disciplinesAnswerSchema,
  jsonSchemaOf,
  orgAnswerSchema,
  STANDARD_GUARD,
  SUBAGENT_TOOLS,
  VPS_DEFAULT,
} from './schemas.js';

/** calls with the backend at once, unless told otherwise */
export const PARALLEL_DEFAULT = 6;

export interface GenesisOptions {
  description: string;
  backend: Backend;
  model: string;
  /** how many VPs; the model chooses within VPS_DEFAULT when absent */
  vps?: number;
  /** the registry the overlay is laid over */
  base: string;
  /** the folder whose orgs/<org>/ is written */
  out: string;
  /** ids may replace the base registry's */
  replace: boolean;
  /** the fleet's node names, handed to VPs round robin */
  nodes: readonly string[];
  cache: AnswerCache;
  /** the organisation's id, instead of the model's choice */
  orgId?: string;
  /** at most this many calls at once (PARALLEL_DEFAULT) */
  parallel?: number;
  env?: NodeJS.ProcessEnv;
  progress?: (line: string) => void;
}

export interface PlannedVp extends VpBrief {
  nodes: string[];
  disciplines: (DisciplineAnswer & { agents: AgentAnswer[] })[];
  /** disciplines the operator gave the VP that genesis does not generate (the base registry's, or their own) */
  others: string[];
}

export interface Plan {
  org: { id: string; name: string; description: string; replace: boolean };
  vps: PlannedVp[];
  /** whether the VPs came from an org.yaml already written */
  fromOrgFile: boolean;
  /** the organisation already there, when this run replaces its generated files */
  existing: ExistingOrg | null;
  stats: CallStats;
}

export async function generate(o: GenesisOptions): Promise<Plan> {
  const base = baseChoices(o.base);
  const ctx: CallContext = {
    backend: o.backend,
    model: o.model,
    cache: o.cache,
    secrets: secretValues(o.env ?? process.env),
    stats: newStats(),
    progress: o.progress ?? (() => undefined),
    slot: pool(o.parallel ?? PARALLEL_DEFAULT),
  };
  const find = (id: string): ExistingOrg | null => {
    const recovered = recoverInterrupted(o.out, id);
    if (recovered) ctx.progress(recovered);
    return existingOrg(join(o.out, 'orgs', id), o.description);
  };

  // phase 1: the organisation and its VPs
  const count = o.vps ? { min: o.vps, max: o.vps } : VPS_DEFAULT;
  const orgSchemaForCall = orgAnswerSchema(count);
  const orgCall: CallSpec<ReturnType<typeof orgSchemaForCall.parse>> = {
    phase: 'org',
    label: 'phase 1 (the organisation and its VPs)',
    prompt: orgPrompt(o.description, count),
    schema: orgSchemaForCall,
    jsonSchema: jsonSchemaOf(orgSchemaForCall),
    check: (v) =>
      duplicateProblems(
        'VP',
        v.vps.map((vp) => vp.id),
        'vps',
      ),
  };
  // an organisation named by the operator and already there needs no phase 1: its VPs are in its org.yaml
  let existing = o.orgId ? find(o.orgId) : null;
  const first = existing ? null : (await ask(orgCall, ctx)).value;
  const id = o.orgId ?? first!.org.id;
  if (!o.orgId) existing = find(id);
  const org = {
    id,
    name: existing?.org.name ?? first!.org.name,
    description: o.description,
    replace: o.replace,
  };
  const old = existing?.org.vps ?? null;
  const vps: VpBrief[] = old ?? first!.vps;
  // the operator's own files in the folder keep their ids
  const own = (ids: Set<string> | undefined, what: string) =>
    new Map(
      [...(ids ?? [])].map((x) => [x, `the ${what} ${x} already in ${join('orgs', id)}/ (not written by genesis)`]),
    );
  const handDisciplines = own(existing?.handDisciplines, 'discipline');
  const handAgents = own(existing?.handAgents, 'subagent');
  const taken = (ids: Map<string, string>, hand: Map<string, string>) => new Map([...(o.replace ? [] : ids), ...hand]);
  ctx.progress(
    `phase 1: ${org.name} (${org.id}), ${vps.length} VPs${existing ? ` from the existing ${ORG_FILE}` : ''}`,
  );

  // phase 2: each VP's disciplines
  const dSchema = disciplinesAnswerSchema(
    base.tools.map((t) => t.id),
    base.hooks.map((h) => h.id),
  );
  const dJson = jsonSchemaOf(dSchema);
  const answers = await askAll(
    vps.map((vp) => ({
      phase: 'disciplines' as const,
      label: `phase 2 (disciplines) of VP ${vp.id}`,
      prompt: disciplinesPrompt(org, vp, base.tools, base.hooks),
      schema: dSchema,
      jsonSchema: dJson,
      check: (v: ReturnType<typeof dSchema.parse>) => {
        const ids = v.disciplines.map((d) => d.id);
        return [
          ...duplicateProblems('discipline', ids, 'disciplines'),
          ...clashProblems('discipline', ids, 'disciplines', taken(base.disciplines, handDisciplines)),
          ...v.disciplines.flatMap((d, i) => duplicateProblems('tool', d.tools, `disciplines[${i}].tools`)),
          ...v.disciplines.flatMap((d, i) => duplicateProblems('hook', d.hooks, `disciplines[${i}].hooks`)),
        ];
      },
    })),
    ctx,
    'discipline',
    (v) => v.disciplines.map((d) => d.id),
  );
  // every discipline has the standard guard first; the model's choice only adds to it
  for (const a of answers)
    for (const d of a.disciplines) d.hooks = [STANDARD_GUARD, ...d.hooks.filter((h) => h !== STANDARD_GUARD)];
  // a VP whose disciplines the operator cut down in org.yaml keeps only those; the others are not written
  const others = vps.map(() => [] as string[]);
  if (old)
    answers.forEach((a, i) => {
      const listed = new Set(old[i]!.disciplines);
      const kept = a.disciplines.filter((d) => listed.has(d.id));
      if (kept.length > 0 && kept.length < a.disciplines.length) {
        const dropped = a.disciplines.filter((d) => !listed.has(d.id)).map((d) => d.id);
        ctx.progress(`VP ${vps[i]!.id}: leaves out ${dropped.join(', ')}, as its org.yaml says`);
        a.disciplines = kept;
      }
      const generated = new Set(a.disciplines.map((d) => d.id));
      others[i] = old[i]!.disciplines.filter(
        (d) => !generated.has(d) && (base.disciplineIds.has(d) || handDisciplines.has(d)),
      );
    });
  ctx.progress(`phase 2: ${answers.reduce((n, a) => n + a.disciplines.length, 0)} disciplines`);

  // phase 3: each discipline's subagents
  const disciplines = answers.flatMap((a, i) => a.disciplines.map((d) => ({ vp: vps[i]!, d })));
  const agents = await askAll(
    disciplines.map(({ vp, d }) => {
      const schema = agentsAnswerSchema(d.tools);
      return {
        phase: 'agents' as const,
        label: `phase 3 (subagents) of discipline ${d.id} (VP ${vp.id})`,
        prompt: agentsPrompt(org, vp, d, SUBAGENT_TOOLS),
        schema,
        jsonSchema: jsonSchemaOf(schema),
        check: (v: ReturnType<typeof schema.parse>) => {
          const names = v.agents.map((a) => a.name);
          return [
            ...duplicateProblems('subagent', names, 'agents'),
            ...clashProblems('subagent', names, 'agents', taken(base.agents, handAgents)),
            ...v.agents.flatMap((a, i) => duplicateProblems('tool', a.tools, `agents[${i}].tools`)),
          ];
        },
      };
    }),
    ctx,
    'subagent',
    (v) => v.agents.map((a) => a.name),
  );
  ctx.progress(`phase 3: ${agents.reduce((n, a) => n + a.agents.length, 0)} subagents`);

  const nodes = assignNodes(vps.length, o.nodes);
  let k = 0;
  return {
    org,
    fromOrgFile: existing !== null,
    existing,
    stats: ctx.stats,
    vps: vps.map((vp, i) => ({
      id: vp.id,
      name: vp.name,
      persona: vp.persona,
      mandate: vp.mandate,
      nodes: old?.[i]?.nodes.length ? old[i]!.nodes : nodes[i]!,
      disciplines: answers[i]!.disciplines.map((d) => ({ ...d, agents: agents[k++]!.agents })),
      others: others[i]!,
    })),
  };
}

/**
 * Nodes for VPs, round robin: with fewer nodes than VPs a node carries several VPs; with more, the nodes are
 * spread over the VPs.
 */
export function assignNodes(vps: number, nodes: readonly string[]): string[][] {
  if (nodes.length === 0) return Array.from({ length: vps }, () => []);
  if (nodes.length <= vps) return Array.from({ length: vps }, (_, i) => [nodes[i % nodes.length]!]);
  return Array.from({ length: vps }, (_, i) => nodes.filter((_, j) => j % vps === i));
}

interface BaseChoices {
  tools: Choice[];
  hooks: Choice[];
  /** ids the overlay may not take (unless replacing), each with what has it */
  disciplines: Map<string, string>;
  agents: Map<string, string>;
  disciplineIds: Set<string>;
}

function baseChoices(dir: string): BaseChoices {
  const { registry, problems } = checkRegistry(dir);
  if (problems.length > 0)
    throw new GenesisError(
      `the base registry at ${dir} has ${problems.length} problem(s); fix them first (agency registry check ${dir}):\n${problems.slice(0, 10).map(formatProblem).join('\n')}`,
    );
  if (!registry.hooks.has(STANDARD_GUARD))
    throw new GenesisError(
      `the base registry at ${dir} has no hooks/${STANDARD_GUARD}.json, the guard every generated discipline gets: use a registry that has it`,
    );
  const ids = (m: Map<string, unknown>, what: string) =>
    new Map([...m.keys()].map((k) => [k, `the base registry's ${what} ${k}`]));
  return {
    tools: [...registry.tools.values()].map((t) => ({ id: t.id, description: t.value.description })),
    hooks: [...registry.hooks.values()].map((h) => ({ id: h.id, description: h.value.description })),
    disciplines: new Map([...ids(registry.charters, 'charter'), ...ids(registry.disciplines, 'discipline')]),
    agents: ids(registry.agents, 'subagent'),
    disciplineIds: new Set(registry.disciplines.keys()),
  };
}
