/** `agency nodes` (list, add, remove) and `agency push`. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { configPath, LOCAL_NODE, loadConfig, removeNode, saveNode, type NodeConfig } from '../config/config.js';
import { fleetLinks, sshOptions, sshTarget } from '../fleet/fleet.js';
import { resolveSshAlias, sshConfigNames } from '../fleet/ssh-config.js';
import { parseHops } from '../fleet/jump.js';
import { BundleCache, pushNode, type PushResult } from '../fleet/push.js';
import { RuntimeCache, runtimeSource } from '../fleet/runtime.js';
import { safeLine } from '../terminal/index.js';
import { EXIT, printJson, say, UserError, warn } from './output.js';
import { withCockpit } from './with-cockpit.js';
import { serviceWords } from './node-facts.js';
import { orgForPush, sendOrg, type OrgPlan } from './org-command.js';
import { sendSettings, settingsText } from './settings-push.js';

export async function listNodes(o: { json?: boolean }): Promise<void> {
  const snap = await withCockpit({ start: false }, (c) => c.status());
  const configured = loadConfig().nodes;
  const nodes = snap.nodes.map((n) => ({
    name: n.name,
    state: n.state,
    reachable: n.state === 'up',
    transport: n.transport,
    jump: jumpOf(configured.find((x) => x.name === n.name)),
    agentVersion: n.info?.agentVersion ?? null,
    build: n.info?.build ?? null,
    host: n.info?.host ?? null,
    platform: n.info?.platform ?? null,
    runtime: n.info?.runtime ?? null,
    sessions: n.sessions,
    org: n.info?.org ? { id: n.info.org.id, name: n.info.org.name } : null,
    vps: n.info?.org?.vps ?? [],
    service: n.info?.service ?? null,
    error: n.error,
  }));
  if (o.json) printJson({ nodes });
  else
    for (const n of nodes)
      say(
        `${n.name.padEnd(16)} ${n.state.padEnd(12)} ${n.jump ? `via ${safeLine(n.jump)} ` : ''}${n.agentVersion ? `agent ${n.agentVersion} ${(n.build ?? '').slice(0, 12)}` : ''}${n.service ? ` ${safeLine(serviceWords(n.service))}` : ''}${n.vps.length ? ` ${safeLine(n.vps.map((v) => v.name).join(', '))}` : ''}${n.error ? ` ${safeLine(n.error)}` : ''}`,
      );
  if (nodes.some((n) => !n.reachable)) process.exitCode = EXIT.failure;
}

/** The jump hosts a node is reached through, as configured: its jump field, or its ssh alias's ProxyJump. */
function jumpOf(n: NodeConfig | undefined): string | null {
  if (!n || n.local) return null;
  if (n.jump) return n.jump;
  if (!n.ssh) return null;
  try {
    return resolveSshAlias(n.ssh).proxyJump ?? null;
  } catch {
    return null;
  }
}

export async function addNode(
  name: string,
  o: {
    host?: string;
    ssh?: string;
    local?: boolean;
    user?: string;
    port?: string;
    identity?: string;
    knownHosts?: string;
    jump?: string;
    json?: boolean;
  },
): Promise<void> {
  if (o.port !== undefined && !(/^\d{1,5}$/.test(o.port) && Number(o.port) >= 1 && Number(o.port) <= 65535))
    throw new UserError(`--port must be a whole number from 1 to 65535, not ${JSON.stringify(o.port)}`, EXIT.usage);
  for (const [flag, file] of [
    ['--identity', o.identity],
    ['--known-hosts', o.knownHosts],
  ] as const)
    if (file && !existsSync(file)) warn(`warning: ${flag} ${file} does not exist (yet)`);
  const node: NodeConfig = {
    name,
    ...(o.local ? { local: true as const } : {}),
    ...(o.host ? { host: o.host } : {}),
    ...(o.ssh ? { ssh: o.ssh } : {}),
    ...(o.user ? { user: o.user } : {}),
    ...(o.port ? { port: Number(o.port) } : {}),
    ...(o.identity ? { identityFile: o.identity } : {}),
    ...(o.knownHosts ? { knownHostsFile: o.knownHosts } : {}),
    ...(o.jump ? { jump: o.jump } : {}),
  };
  if (o.jump !== undefined) {
    if (o.local) throw new UserError('--jump is for a node reached over ssh, not --local', EXIT.usage);
    try {
      parseHops(o.jump, '--jump');
    } catch (e) {
      throw new UserError((e as Error).message, EXIT.usage);
    }
    if (o.jump.split(',').includes(name))
      throw new UserError(`--jump: node ${name} cannot be its own jump host`, EXIT.usage);
  }
  if (name === LOCAL_NODE && !o.local)
    throw new UserError(
      `${LOCAL_NODE} is the name of this machine's node; give a remote node another name (agency nodes add ${LOCAL_NODE} --local adds this machine)`,
      EXIT.usage,
    );
  if (o.ssh) {
    // an alias ssh does not know would be taken for a host name, and fail later for another reason
    const file = join(homedir(), '.ssh', 'config');
    let named: boolean;
    try {
      named = sshConfigNames(o.ssh);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    if (!named)
      throw new UserError(
        `no Host entry of ${file} matches ${JSON.stringify(o.ssh)}: add one (Host ${o.ssh}, with its HostName and User), or give the node by --host`,
        EXIT.usage,
      );
  }
  const { nodes } = loadConfig(); // a broken file is a failure, not a usage error
  if (!o.local) {
    // reached as it will be: its jump hosts through the nodes they name, loops and all, with this node in place
    try {
      sshTarget(node, [...nodes.filter((x) => x.name !== name), node]);
    } catch (e) {
      throw new UserError((e as Error).message, EXIT.usage);
    }
  }
  let saved;
  try {
    saved = await saveNode(node);
  } catch (e) {
    throw new UserError((e as Error).message, EXIT.usage);
  }
  const path = configPath();
  if (o.json) printJson({ config: path, node, ...saved });
  else {
    say(`node ${name} ${saved.replaced ? 'replaced' : 'saved'} in ${path}`);
    if (saved.localAdded)
      say(
        `the local node (this machine) stays in the fleet as "${LOCAL_NODE}": a configuration that lists nodes uses only those, so it is listed too; agency nodes remove ${LOCAL_NODE} takes it out`,
      );
  }
}

export async function removeNodeCommand(name: string, o: { json?: boolean } = {}): Promise<void> {
  const path = configPath();
  const through = loadConfig().nodes.filter((n) => n.name !== name && jumpsThrough(n, name));
  if (through.length)
    throw new UserError(
      `node ${name} is the jump host of ${through.map((n) => n.name).join(', ')}: change their jump (agency nodes add <name> … --jump) or remove them first`,
    );
  if (!(await removeNode(name))) {
    const implied = name === LOCAL_NODE && loadConfig().nodes.length === 0;
    throw new UserError(
      implied
        ? `no nodes are configured in ${path}, so this machine's node "${LOCAL_NODE}" is the fleet; add another node before taking it out`
        : `no node ${JSON.stringify(name)} in ${path}`,
    );
  }
  const left = loadConfig().nodes.length;
  if (o.json) printJson({ config: path, removed: name, remaining: left });
  else {
    say(`node ${name} removed`);
    if (left === 0) say(`no nodes are configured now: agency uses this machine's node ("${LOCAL_NODE}")`);
  }
}

/** Whether a node's jump field names node `name` as a hop. */
function jumpsThrough(n: NodeConfig, name: string): boolean {
  if (!n.jump) return false;
  try {
    return parseHops(n.jump, `node ${n.name}`).some((h) => h.host === name);
  } catch {
    return false;
  }
}

export async function push(o: { node?: string[]; service?: boolean; json?: boolean }): Promise<void> {
  const config = loadConfig();
  if (config.nodes.length === 0)
    throw new UserError('no nodes are configured: add them with `agency nodes add`; the local node needs no push');
  let links;
  try {
    links = fleetLinks({ ...(o.node ? { only: o.node } : {}), startLocal: false });
  } catch (e) {
    throw new UserError((e as Error).message, EXIT.usage);
  }
  for (const l of links) l.close();
  const chosen = config.nodes.filter((n) => links.some((l) => l.name === n.name) && !n.local);
  // the organisation given to the nodes goes to each node pushed, once its agent runs
  let org: OrgPlan | null = null;
  let orgProblem: string | null = null;
  try {
    org = orgForPush();
  } catch (e) {
    warn(`warning: ${(e as Error).message}`);
    orgProblem = (e as Error).message;
  }
  const bundles = new BundleCache();
  bundles.prefetchLocal();
  const runtimes = new RuntimeCache(runtimeSource(config.runtime));
  const ssh = sshOptions();
  const results = await Promise.all(
    chosen.map(async (n) => {
      let r: PushResult;
      try {
        r = await pushNode(sshTarget(n, config.nodes), bundles, runtimes, ssh, {
          service: o.service === true,
          runtime: n.runtime ?? 'auto',
        });
      } catch (e) {
        r = { node: n.name, ok: false, failure: 'failed', error: (e as Error).message, ms: 0 };
      }
      if (!o.json) warn(pushLine(r));
      return r;
    }),
  );
  const sent = org
    ? await sendOrg(
        org,
        results.filter((r) => r.ok).map((r) => r.node),
      )
    : [];
  const settings = await sendSettings(results.filter((r) => r.ok).map((r) => r.node));
  const withOrg = results.map((r) => {
    const got = sent.find((x) => x.node === r.node);
    const set = settings.find((x) => x.node === r.node);
    return {
      ...r,
      ...(got ? { org: { result: got.result, vps: got.vps, error: got.error } } : {}),
      ...(set ? { settings: set } : {}),
    };
  });
  if (o.json) printJson({ ...(orgProblem !== null ? { org: { error: orgProblem } } : {}), results: withOrg });
  else {
    for (const x of sent)
      warn(
        x.result === 'applied'
          ? `${x.node}: carries ${x.vps.join(', ')} of organisation ${org!.org.id}`
          : `${x.node}: organisation ${org!.org.id} not taken: ${safeLine(x.error ?? x.result)}`,
      );
    for (const x of settings) warn(safeLine(settingsText(x)));
    say(`${results.filter((r) => r.ok).length} of ${results.length} nodes up to date`);
  }
  if (results.some((r) => !r.ok) || orgProblem !== null || sent.some((x) => x.result !== 'applied'))
    process.exitCode = EXIT.failure;
}

/** One node's push, for people: what was installed, on which Node, and how much was sent. */
export function pushLine(r: PushResult): string {
  if (!r.ok) return `${r.node}: ${safeLine(r.error ?? 'failed')}`;
  const kb = (n: number) => `${Math.round(n / 1024)} KB`;
  const sent = r.uploaded ?? { runtime: 0, agent: 0 };
  const node = r.runtime
    ? r.runtime.kind === 'bundled'
      ? sent.runtime > 0
        ? `; installed agency's Node ${r.runtime.node} (${kb(sent.runtime)} sent)`
        : `; on agency's Node ${r.runtime.node}`
      : `; on its own Node ${r.runtime.node}`
    : '';
  const agent = sent.agent > 0 ? `, ${kb(sent.agent)} sent` : '';
  return `${r.node}: ${r.unchanged ? 'already up to date' : 'installed and started'} (${r.build?.slice(0, 12)}${agent}, ${r.ms} ms)${node}${r.service ? `; service ${r.service}` : ''}${(r.warnings ?? []).map((w) => `; warning: ${safeLine(w)}`).join('')}`;
}
