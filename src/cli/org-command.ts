/**
 * `agency org apply DIR/orgs/<org>`: checks the organisation's overlay, gives each node its VPs (org-assign.ts),
 * records the organisation in the operator's config, and sends it to every node that is up; a node that is
 * down gets it with the next `agency push`, which sends the configured organisation too (orgForPush).
 */
import { join, resolve } from 'node:path';
import { Cockpit } from '../cockpit/client.js';
import { configPath, LOCAL_NODE, loadConfig, saveOrg } from '../config/config.js';
import type { NodeOrg, OrgFile } from '../protocol/messages.js';
import {
  formatProblem,
  isOrgDir,
  ORG_FILE,
  overlayPrivileges,
  type Org,
  type OverlayPrivilege,
} from '../registry/index.js';
import { safeLine } from '../terminal/index.js';
import { olderAgentHint } from './older-agent.js';
import { AssignmentError, assignVps } from './org-assign.js';
import { readOrgFiles } from './org-files.js';
import { EXIT, printJson, say, UserError, warn } from './output.js';
import { fullCheck } from './registry-source.js';

/** An organisation ready to send: its files, and the VPs each configured node carries. */
export interface OrgPlan {
  dir: string;
  org: Org;
  files: OrgFile[];
  carried: Map<string, string[]>;
  /** the overlay's files that add hook commands (run outside the sandbox) or rules allowed unasked */
  privileges: OverlayPrivilege[];
}

/** What became of the organisation on one node. */
export interface OrgSent {
  node: string;
  /** `applied`: the node carries `vps` now; `down`: it gets them with the next push; `refused`: `error` says why */
  result: 'applied' | 'down' | 'refused';
  vps: string[];
  error: string | null;
}

/** The configured nodes' names, or the local node when none are configured. */
function configuredNodes(): string[] {
  const nodes = loadConfig().nodes.map((n) => n.name);
  return nodes.length ? nodes : [LOCAL_NODE];
}

/** Loads and checks the organisation at dir and places its VPs; throws UserError naming every problem. */
export function planOrg(dirArg: string): OrgPlan {
  const dir = resolve(dirArg);
  if (!isOrgDir(dir))
    throw new UserError(
      `${dir} holds no ${ORG_FILE}: give the folder of an organisation (DIR/orgs/<org>, as agency genesis writes it)`,
    );
  const { registry, problems } = fullCheck(dir);
  if (problems.length > 0 || !registry.org)
    throw new UserError(
      `the organisation in ${dir} has ${problems.length} problem${problems.length === 1 ? '' : 's'} (nothing was sent):\n${problems.map(formatProblem).join('\n')}`,
    );
  const org = registry.org.value;
  let carried: Map<string, string[]>;
  try {
    carried = assignVps(org.vps, configuredNodes());
  } catch (e) {
    if (e instanceof AssignmentError) throw new UserError(`${dir}/${ORG_FILE}: ${e.message}`);
    throw e;
  }
  return { dir, org, files: readOrgFiles(dir), carried, privileges: overlayPrivileges(registry) };
}

/** Sends the organisation to the nodes named (each its own VPs), at once; nodes that are not up are `down`. */
export async function sendOrg(plan: OrgPlan, nodes: string[], opts: { start?: boolean } = {}): Promise<OrgSent[]> {
  const cockpit = await Cockpit.open({ nodes, start: opts.start ?? false });
  try {
    return await Promise.all(
      nodes.map(async (node): Promise<OrgSent> => {
        const vps = plan.carried.get(node) ?? [];
        const link = cockpit.link(node);
        if (!link.connection()) return { node, result: 'down', vps, error: link.status().error };
        try {
          const got: NodeOrg = await cockpit.requestOn(node, 'org-apply', { files: plan.files, vps });
          return { node, result: 'applied', vps: got.vps.map((v) => v.id), error: null };
        } catch (e) {
          return { node, result: 'refused', vps, error: olderAgentHint(node, e as Error) ?? (e as Error).message };
        }
      }),
    );
  } finally {
    cockpit.close();
  }
}

export async function orgApply(dirArg: string, o: { node?: string[]; json?: boolean }): Promise<void> {
  const plan = planOrg(dirArg);
  const all = [...plan.carried.keys()];
  const unknown = (o.node ?? []).filter((n) => !all.includes(n));
  if (unknown.length)
    throw new UserError(
      `unknown node ${unknown.map((n) => JSON.stringify(n)).join(', ')}; nodes: ${all.join(', ')}`,
      EXIT.usage,
    );
  const nodes = o.node?.length ? all.filter((n) => o.node!.includes(n)) : all;
  // a local node is started as `run` starts it (push never starts one); a remote node is not started here
  const sent = await sendOrg(plan, nodes, { start: true });
  // recorded once a node took it or will with its next push; not when every node that answered refused it
  const recorded = sent.some((s) => s.result !== 'refused');
  if (recorded) await saveOrg(plan.dir);
  const name = (id: string) => plan.org.vps.find((v) => v.id === id)?.name ?? id;
  if (o.json)
    printJson({
      org: { id: plan.org.id, name: plan.org.name, dir: plan.dir },
      config: configPath(),
      recorded,
      privileges: plan.privileges,
      nodes: sent,
    });
  else {
    if (recorded) say(`organisation ${plan.org.id} (${safeLine(plan.org.name)}) recorded in ${configPath()}`);
    for (const line of privilegeLines(plan)) say(line);
    for (const s of sent) {
      const vps = s.vps.map(name).join(', ');
      if (s.result === 'applied') say(`${s.node}: ${vps}`);
      else if (s.result === 'down')
        say(`${s.node}: down; gets ${vps} with the next push${s.error ? ` (${safeLine(s.error)})` : ''}`);
      else warn(`${s.node}: refused ${vps}: ${safeLine(s.error ?? '')}`);
    }
  }
  if (!recorded && !o.json)
    warn(
      `organisation ${plan.org.id} was not recorded in ${configPath()}: every node refused it (the config keeps the organisation it had)`,
    );
  if (sent.some((s) => s.result === 'refused')) process.exitCode = EXIT.failure;
}

/**
 * What the overlay lets run outside the sandbox or without asking, for the operator to read: one line per file,
 * or one per privilege that several files give alike (genesis gives every discipline the same rules).
 */
export function privilegeLines(plan: Pick<OrgPlan, 'dir' | 'privileges'>): string[] {
  const byWhat = new Map<string, string[]>();
  for (const p of plan.privileges) {
    const what = [
      ...(p.hooks.length ? [`hook commands on ${p.hooks.join(', ')} (they run outside the sandbox)`] : []),
      ...(p.allow.length ? [`allows ${p.allow.join(', ')} without asking`] : []),
    ].join('; ');
    byWhat.set(what, [...(byWhat.get(what) ?? []), p.file]);
  }
  return [...byWhat].map(([what, files]) =>
    files.length === 1
      ? `${join(plan.dir, files[0]!)}: ${safeLine(what)}`
      : `${files.length} files of ${plan.dir} (${files.join(', ')}): ${safeLine(what)}`,
  );
}

/**
 * The configured organisation for `push` to send after it started the nodes' agents, or null when none is
 * configured; a configured one that no longer passes its checks is an error naming why.
 */
export function orgForPush(): OrgPlan | null {
  const dir = loadConfig().org;
  if (!dir) return null;
  try {
    return planOrg(dir);
  } catch (e) {
    throw new UserError(`the organisation in the config (${dir}) was not sent: ${(e as Error).message}`);
  }
}
