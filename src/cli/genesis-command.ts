/**
 * `agency genesis "<organisation description>"`: an organisation generated in three phases (VPs, their
 * disciplines, the disciplines' subagents) and written as a registry overlay under DIR/orgs/<org>/, after the
 * operator has seen the files and the org chart and said yes (`--yes` for scripts). Progress goes to stderr;
 * with --json, one document goes to stdout.
 */
import { relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { LOCAL_NODE, loadConfig } from '../config/config.js';
import {
  apiBackend,
  BackendError,
  cacheDir,
  claudeBackend,
  fileCache,
  changeList,
  fileTree,
  generate,
  GenesisError,
  MODEL_PATTERN,
  orgChart,
  PARALLEL_DEFAULT,
  renderOverlay,
  secretIn,
  secretValues,
  stageOverlay,
  type Backend,
  type Plan,
  type Staged,
} from '../genesis/index.js';
import { hasUnsafe } from '../protocol/safe-text.js';
import { ID_PATTERN } from '../registry/index.js';
import { EXIT, printable, printJson, say, UserError, warn } from './output.js';
import { baseRegistryDir } from '../paths/package.js';

export interface GenesisOpts {
  out?: string;
  backend?: string;
  vps?: string;
  model?: string;
  replace?: boolean;
  yes?: boolean;
  json?: boolean;
  orgId?: string;
  parallel?: string;
}

const MAX_DESCRIPTION = 4000;
/** VPs genesis generates at most: each is a call, and each of its disciplines more calls */
export const GENESIS_MAX_VPS = 16;
/** calls at once at most, whatever is asked */
const MAX_PARALLEL = 32;

export async function genesis(description: string, o: GenesisOpts): Promise<void> {
  const started = performance.now();
  const text = description.replace(/\r\n?/g, '\n').trim();
  if (text === '')
    throw new UserError('the organisation description is empty: say what the organisation does', EXIT.usage);
  if (text.length > MAX_DESCRIPTION)
    throw new UserError(
      `the organisation description is ${text.length} characters long; keep it under ${MAX_DESCRIPTION}`,
      EXIT.usage,
    );
  if (hasUnsafe(text, 'newlines'))
    throw new UserError(
      'the organisation description holds control characters or invisible direction marks: give it as plain text',
      EXIT.usage,
    );
  const secret = secretIn(text, secretValues(process.env));
  if (secret)
    throw new UserError(
      `the organisation description holds what looks like ${secret}: it is sent to a model and written to org.yaml, so leave credentials out`,
      EXIT.usage,
    );
  const vps = o.vps === undefined ? undefined : Number(o.vps);
  if (vps !== undefined && (!Number.isInteger(vps) || vps < 1 || vps > GENESIS_MAX_VPS))
    throw new UserError(`--vps ${printable(o.vps!)} is not a number of VPs from 1 to ${GENESIS_MAX_VPS}`, EXIT.usage);
  const parallelText = o.parallel ?? process.env.AGENCY_GENESIS_PARALLEL;
  const parallel = parallelText === undefined || parallelText === '' ? PARALLEL_DEFAULT : Number(parallelText);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_PARALLEL)
    throw new UserError(
      `${o.parallel !== undefined ? '--parallel' : 'AGENCY_GENESIS_PARALLEL'} ${printable(String(parallelText))} is not a number of calls at once from 1 to ${MAX_PARALLEL}`,
      EXIT.usage,
    );
  if (o.orgId !== undefined && !ID_PATTERN.test(o.orgId))
    throw new UserError(
      `--org-id ${printable(o.orgId)}: use lowercase letters, digits and hyphens, starting with a letter`,
      EXIT.usage,
    );
  const model = o.model ?? 'sonnet';
  if (!MODEL_PATTERN.test(model))
    throw new UserError(`--model ${printable(model)}: use sonnet, opus, haiku or a full claude-… model id`, EXIT.usage);
  const which = o.backend ?? 'claude';
  if (which !== 'claude' && which !== 'api')
    throw new UserError(
      `--backend ${printable(which)}: use claude (your Claude Code login) or api (ANTHROPIC_API_KEY)`,
      EXIT.usage,
    );
  const out = resolve(o.out ?? '.');
  const configured = loadConfig().nodes.map((n) => n.name);
  const nodes = configured.length > 0 ? configured : [LOCAL_NODE];

  let backend: Backend;
  let plan: Plan;
  try {
    backend = which === 'api' ? apiBackend(model) : claudeBackend(model);
    warn(`agency genesis: three phases with ${which === 'api' ? 'the Anthropic API' : 'claude -p'} (${model})`);
    plan = await generate({
      description: text,
      backend,
      model,
      out,
      nodes,
      base: baseRegistryDir(),
      replace: o.replace === true,
      cache: fileCache(cacheDir()),
      progress: (line) => warn(`  ${printable(line)}`),
      parallel,
      ...(vps !== undefined ? { vps } : {}),
      ...(o.orgId !== undefined ? { orgId: o.orgId } : {}),
    });
  } catch (e) {
    throw asUserError(e);
  }

  // rendered, staged next to the target and checked before the operator is asked
  const files = renderOverlay(plan);
  let staged: Staged;
  try {
    staged = stageOverlay(out, plan.org.id, files, baseRegistryDir(), plan.existing, plan.org.replace);
  } catch (e) {
    throw asUserError(e);
  }
  const target = staged.target;
  try {
    const shown = relative(process.cwd(), target) || '.';
    warn('');
    if (plan.existing) {
      warn(`Rewrites ${target}, an organisation genesis wrote from the same description:`);
      warn(changeList(staged.changes));
    } else {
      warn(`Writes ${files.size} files:`);
      warn(fileTree(shown.startsWith('..') ? target : shown, files));
    }
    warn('');
    warn(orgChart(plan));
    warn('');
    if (!o.yes) {
      if (!process.stdin.isTTY || !process.stderr.isTTY)
        throw new UserError(
          `genesis asks before it writes, and there is no terminal to ask in: run it in one, or pass --yes (the answers are cached, so no call is repeated)`,
          EXIT.usage,
        );
      if (!(await confirm(`Write ${plan.org.id} to ${target}?`))) {
        warn('Nothing was written (the answers are cached: running again asks no model).');
        process.exitCode = EXIT.failure;
        staged.discard();
        return;
      }
    }
    staged.commit();
  } catch (e) {
    staged.discard();
    throw asUserError(e);
  }
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  const s = plan.stats;
  if (o.json) {
    printJson({
      org: { id: plan.org.id, name: plan.org.name, dir: target },
      vps: plan.vps.map((vp) => ({
        id: vp.id,
        name: vp.name,
        mandate: vp.mandate,
        nodes: vp.nodes,
        disciplines: vp.disciplines.map((d) => ({
          id: d.id,
          title: d.title,
          model: d.model,
          tools: d.tools,
          hooks: d.hooks,
          agents: d.agents.map((a) => ({ name: a.name, model: a.model, tools: a.tools })),
        })),
      })),
      files: [...files.keys()].sort(),
      calls: { made: s.made, cached: s.cached, retried: s.retried },
      tokens: s.tokens,
      seconds,
    });
    return;
  }
  say(`Wrote ${files.size} files to ${target}`);
  say(
    `${s.made} calls (${s.cached} from the cache, ${s.retried} sent back), ${s.tokens.input} input and ${s.tokens.output} output tokens, ${seconds} s`,
  );
  say(`Check it with: agency registry check ${target}`);
}

function asUserError(e: unknown): unknown {
  if (e instanceof GenesisError || e instanceof BackendError) return new UserError(e.message);
  return e;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
