/**
 * The three phases: the organisation and its VPs (one call), each VP's disciplines (one call per VP, in
 * parallel), each discipline's subagents (one call per discipline, in parallel). A re-run over an organisation
 * that is already written takes its VPs from its org.yaml (the operator may have edited them), so only what
 * changed is asked again; the rest comes from the cache.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkRegistry, formatProblem, ORG_FILE, orgSchema, type Vp } from '../registry/index.js';
import type { Backend } from './backend.js';
import type { AnswerCache } from './cache.js';
import { ask, askAll, type CallContext, type CallSpec, type CallStats, newStats } from './calls.js';
import { clashProblems, duplicateProblems, schemaProblems, secretValues } from './checks.js';
import { GenesisError } from './errors.js';
import { agentsPrompt, type Choice, disciplinesPrompt, orgPrompt, type VpBrief } from './prompts.js';
import {
  type AgentAnswer,
  agentsAnswerSchema,
  type DisciplineAnswer,
  disciplinesAnswerSchema,
  jsonSchemaOf,
  orgAnswerSchema,
  SUBAGENT_TOOLS,
  VPS_DEFAULT,
} from './schemas.js';

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
  env?: NodeJS.ProcessEnv;
  progress?: (line: string) => void;
}

export interface PlannedVp extends VpBrief {
  nodes: string[];
  disciplines: (DisciplineAnswer & { agents: AgentAnswer[] })[];
}

export interface Plan {
  org: { id: string; name: string; description: string; replace: boolean };
  vps: PlannedVp[];
  /** whether the VPs came from an org.yaml already written */
  fromOrgFile: boolean;
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
  };
  const taken = (ids: Map<string, string>) => (o.replace ? new Map<string, string>() : ids);

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
  const first = (await ask(orgCall, ctx)).value;
  const existing = readExistingOrg(o.out, first.org.id);
  const org = {
    id: first.org.id,
    name: existing?.name ?? first.org.name,
    description: o.description,
    replace: o.replace,
  };
  const vps: VpBrief[] = existing ? existing.vps : first.vps;
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
          ...clashProblems('discipline', ids, 'disciplines', taken(base.disciplines)),
          ...v.disciplines.flatMap((d, i) => duplicateProblems('tool', d.tools, `disciplines[${i}].tools`)),
          ...v.disciplines.flatMap((d, i) => duplicateProblems('hook', d.hooks, `disciplines[${i}].hooks`)),
        ];
      },
    })),
    ctx,
    'discipline',
    (v) => v.disciplines.map((d) => d.id),
  );
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
            ...clashProblems('subagent', names, 'agents', taken(base.agents)),
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
    stats: ctx.stats,
    vps: vps.map((vp, i) => ({
      id: vp.id,
      name: vp.name,
      persona: vp.persona,
      mandate: vp.mandate,
      nodes: existing?.vps[i]?.nodes.length ? existing.vps[i]!.nodes : nodes[i]!,
      disciplines: answers[i]!.disciplines.map((d) => ({ ...d, agents: agents[k++]!.agents })),
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
}

function baseChoices(dir: string): BaseChoices {
  const { registry, problems } = checkRegistry(dir);
  if (problems.length > 0)
    throw new GenesisError(
      `the base registry at ${dir} has ${problems.length} problem(s); fix them first (agency registry check ${dir}):\n${problems.slice(0, 10).map(formatProblem).join('\n')}`,
    );
  const ids = (m: Map<string, unknown>, what: string) =>
    new Map([...m.keys()].map((k) => [k, `the base registry's ${what} ${k}`]));
  return {
    tools: [...registry.tools.values()].map((t) => ({ id: t.id, description: t.value.description })),
    hooks: [...registry.hooks.values()].map((h) => ({ id: h.id, description: h.value.description })),
    disciplines: new Map([...ids(registry.charters, 'charter'), ...ids(registry.disciplines, 'discipline')]),
    agents: ids(registry.agents, 'subagent'),
  };
}

/** The org.yaml already at DIR/orgs/<org>/, validated; null when there is none. */
function readExistingOrg(out: string, orgId: string): { name: string; vps: Vp[] } | null {
  const file = join(out, 'orgs', orgId, ORG_FILE);
  if (!existsSync(file)) return null;
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GenesisError(
      `${file}: not valid YAML (${(e as Error).message.split('\n')[0]}): fix it, or move it away to start afresh`,
    );
  }
  const r = schemaProblems(orgSchema, data);
  if (r.value === null)
    throw new GenesisError(
      `${file} has problems; fix them, or move it away to start afresh:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  return { name: r.value.name, vps: r.value.vps };
}
