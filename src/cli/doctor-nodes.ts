/**
 * `agency doctor`'s checks of the fleet: every configured node reached once, with a short timeout, as
 * `agency nodes` reaches it; a node that is down is a failing line. And the running local node, which
 * keeps the environment it started with: when this shell has a key and that node has none, say so.
 */
import { existsSync } from 'node:fs';
import { Cockpit, type NodeView } from '../cockpit/client.js';
import { keyFilePath } from '../node/session-env.js';
import { nodeEnvPath } from '../paths/node-env.js';
import { agencyHome, nodePaths } from '../paths/node-home.js';
import { fail, pass, type Check } from './doctor-check.js';
import { version } from './version.js';
import { runtimeWords, serviceWords } from './node-facts.js';
import type { NodeInfo } from '../protocol/messages.js';

/** How long doctor waits for a node's SSH handshake (one try), and for every node to answer at all. */
const SSH_TIMEOUT_MS = 5000;
const ANSWER_MS = 15_000;

function fixFor(n: NodeView): string {
  const push = `agency push --node ${n.name}`;
  if (n.transport === 'local') return `agency node stop, then agency node start; see ${nodePaths().log}`;
  if (n.state === 'refused')
    return `check the node's host key: ssh to it once and compare the fingerprint, then fix its known_hosts entry`;
  if (n.state === 'no-agent' || n.state === 'incompatible') return push;
  return `check that ssh reaches it (its address, user, key and ~/.ssh/config entry), then ${push}`;
}

/**
 * What a node that is up says of itself beyond its build: its runtime and C library, its sandbox, and
 * its service (`; Node 22.11.0 (the node's own), glibc 2.36; sandbox on; under systemd`).
 */
export function nodeFacts(i: NodeInfo): string {
  const sandbox = i.sandbox
    ? `sandbox ${i.sandbox.mode}${i.sandbox.reason ? ` (${i.sandbox.reason})` : ''}`
    : 'sandbox not reported';
  const service = serviceWords(i.service);
  return [runtimeWords(i.runtime) || 'runtime not reported', sandbox, ...(service ? [service] : [])]
    .map((x) => `; ${x}`)
    .join('');
}

export function nodeCheck(n: NodeView): Check {
  const name = `node ${n.name}`;
  // this machine's node starts with the first command that needs it: not running is not a fault
  if (n.transport === 'local' && n.state !== 'up' && n.state !== 'incompatible')
    return pass(name, 'this machine; not running now (the first agency run starts it, or agency node start)');
  if (n.state === 'connecting')
    return fail(name, `no answer within ${ANSWER_MS / 1000} s${n.error ? ` (${n.error})` : ''}`, fixFor(n));
  if (n.state !== 'up' || !n.info) return fail(name, `${n.state}: ${n.error ?? 'no answer'}`, fixFor(n));
  const i = n.info;
  const ours = version();
  const where = `${n.transport === 'local' ? 'this machine' : i.host} (${i.platform})`;
  const what = `up: agent ${i.agentVersion}${i.agentVersion === ours ? '' : ` (this agency is ${ours})`}, build ${i.build.slice(0, 12)}, on ${where}${nodeFacts(i)}`;
  if (i.sandbox?.mode === 'unavailable')
    return fail(
      name,
      `${what}; it refuses sessions`,
      `fix the sandbox on the node (bubblewrap, socat, user namespaces), or opt it out with AGENCY_SANDBOX=off in its ~/.agency/node.env`,
    );
  if (i.auth && !i.auth.key && !i.auth.login)
    return fail(
      name,
      `${what}; it has no key and no Claude Code login, so its sessions cannot reach the API`,
      `put ANTHROPIC_API_KEY=… in ~/.agency/node.env on ${n.name}${n.transport === 'local' ? ' (agency init)' : ''}, then restart its node`,
    );
  const unsandboxed = i.sandbox?.mode === 'off' ? '; sessions run unsandboxed' : '';
  const notUnder =
    i.service?.installed && !i.service.running
      ? `; agency push --node ${n.name} --service puts the daemon back under its service`
      : '';
  return pass(
    name,
    `${what}${i.agentVersion === ours ? '' : `; agency push --node ${n.name} upgrades it`}${unsandboxed}${notUnder}`,
  );
}

/** The running local node's key, from its own report, else from the key file it writes when it has one. */
function localNodeHasKey(auth: { key: boolean } | undefined): boolean {
  return auth ? auth.key : existsSync(keyFilePath(nodePaths()));
}

/** One check per configured node, and one for a running local node without the key this shell has. */
export async function nodeChecks(shellHasKey: boolean): Promise<Check[]> {
  let cockpit: Cockpit;
  try {
    cockpit = await Cockpit.open({
      start: false,
      attempts: 1,
      ssh: { readyTimeoutMs: SSH_TIMEOUT_MS },
      settleMs: ANSWER_MS,
    });
  } catch (e) {
    return [fail('nodes', (e as Error).message, 'fix the nodes in the configuration (agency nodes add, remove)')];
  }
  try {
    const snap = await cockpit.status();
    const checks = snap.nodes.map(nodeCheck);
    for (const n of snap.nodes) {
      if (n.transport !== 'local' || n.state !== 'up' || !shellHasKey || localNodeHasKey(n.info?.auth)) continue;
      checks.push(
        fail(
          `node ${n.name} key`,
          'the running local node has no key, though this shell has one: it started without it, and its sessions cannot log in',
          `put the key in ${nodeEnvPath(agencyHome())} (agency init offers to), then restart the node: agency node stop`,
        ),
      );
    }
    return checks;
  } finally {
    cockpit.close();
  }
}
