/**
 * A fleet of real machines for a test: network namespaces with their own OpenSSH server and Unix user,
 * brought up by test/fleet/fleet.sh (needs root, iproute2 and openssh-server). Everything runs in child
 * processes, so a test's in-process HTTP servers keep running while the fleet comes up.
 *
 * A node reaches the host only at its `gateway` address: a server a node must reach (a scripted Messages
 * API, say) has to listen on that address or on 0.0.0.0, not on 127.0.0.1.
 * A node `behind` another has no link to the host at all: only that node reaches it (as a jump host), and its
 * `gateway` is in that node's namespace; `relay` forwards a port there to the host.
 * Fleets that live at the same time need different `prefix`es and `subnet`s.
 */
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FLEET_SCRIPT = fileURLToPath(new URL('../fleet/fleet.sh', import.meta.url));

export interface FleetNode {
  /** n1, n2, … */
  name: string;
  host: string;
  port: number;
  user: string;
  /** the host's address on this node's link: the only address the node can reach */
  gateway: string;
  /** `ssh-ed25519 AAAA…`, as in a known_hosts line */
  hostKey: string;
  home: string;
  /** the node this one is behind (reached only through it), if any */
  behind?: string;
}

export interface Fleet {
  nodes: FleetNode[];
  /** the private key every node accepts (`ssh -i`) */
  clientKey: string;
  stateDir: string;
  /** the path of a known_hosts file naming every node's host key (for `-o UserKnownHostsFile=`) */
  knownHosts(): string;
  /** takes node i's link down (1-based): connections to it fail with "No route to host" */
  cut(i: number): Promise<void>;
  /** brings node i's link back and waits until its sshd answers */
  restore(i: number): Promise<void>;
  /**
   * for node i behind another: forwards `port` on node i's gateway (in the other node's namespace) to the
   * same port on the other node's gateway, on the host, where a server for node i listens
   */
  relay(i: number, port: number): Promise<void>;
  /** removes every namespace, link, user, home, process and file of the fleet */
  down(): Promise<void>;
}

export interface FleetOptions {
  /** names are `${prefix}n1` (namespace), `${prefix}h1` (link), `${prefix}u1` (user); default agt */
  prefix?: string;
  /** first two octets; node i is `${subnet}.i.2`; default 10.201 */
  subnet?: string;
  /** nodes (1-based) whose sshd has AllowStreamLocalForwarding no */
  noStreamLocal?: number[];
  /** nodes whose login environment has no `node` on PATH */
  noNode?: number[];
  /** nodes whose home is a 512 KB tmpfs */
  diskFull?: number[];
  /** [i, j]: node i is reachable only through node j (which is not itself behind another) */
  behind?: [number, number][];
  /** copied to ~/.agency/node.env on every node */
  envFile?: string;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** runs a program to the end without blocking the event loop; never rejects on a non-zero exit */
export function run(
  file: string,
  args: string[],
  opts: { input?: string | Buffer; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    p.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    p.stdin.on('error', () => {}); // the program may exit before reading all of its input
    p.stdin.end(opts.input ?? '');
  });
}

function script(args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [FLEET_SCRIPT, ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`fleet.sh ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const list = (flag: string, nodes: number[] | undefined): string[] => (nodes?.length ? [flag, nodes.join(',')] : []);

interface Info {
  stateDir: string;
  clientKey: string;
  knownHosts: string;
  nodes: FleetNode[];
}

export async function fleetUp(n: number, opts: FleetOptions = {}): Promise<Fleet> {
  const common = [...(opts.prefix ? ['--prefix', opts.prefix] : []), ...(opts.subnet ? ['--subnet', opts.subnet] : [])];
  try {
    await script([
      'up',
      String(n),
      ...common,
      ...list('--no-streamlocal', opts.noStreamLocal),
      ...list('--no-node', opts.noNode),
      ...list('--disk-full', opts.diskFull),
      ...(opts.behind?.length ? ['--behind', opts.behind.map(([i, j]) => `${i}:${j}`).join(',')] : []),
      ...(opts.envFile ? ['--env-file', opts.envFile] : []),
    ]);
  } catch (e) {
    // the caller gets no Fleet to take down: leave nothing half up behind
    await script(['down', ...common]).catch(() => {});
    throw e;
  }
  const info = JSON.parse(await script(['info', ...common])) as Info;
  const node = (i: number): string => {
    if (!Number.isInteger(i) || i < 1 || i > info.nodes.length)
      throw new Error(`no node ${i} in a fleet of ${info.nodes.length}`);
    return String(i);
  };
  return {
    nodes: info.nodes,
    clientKey: info.clientKey,
    stateDir: info.stateDir,
    knownHosts: () => info.knownHosts,
    cut: async (i) => void (await script(['cut', node(i), ...common])),
    restore: async (i) => void (await script(['restore', node(i), ...common])),
    relay: async (i, port) => void (await script(['relay', node(i), String(port), ...common])),
    down: async () => void (await script(['down', ...common])),
  };
}

/**
 * the OpenSSH client arguments that log in to `node` with the fleet's key, checking its host key; a node
 * behind another is reached through it (`ssh -W`, the other node's key checked too)
 */
export function sshArgs(fleet: Fleet, node: FleetNode): string[] {
  const via = node.behind ? fleet.nodes.find((x) => x.name === node.behind) : undefined;
  return [
    ...(via ? ['-o', `ProxyCommand=ssh -W %h:%p ${sshArgs(fleet, via).join(' ')}`] : []),
    '-F',
    'none',
    '-i',
    fleet.clientKey,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${fleet.knownHosts()}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ConnectTimeout=5',
    '-p',
    String(node.port),
    `${node.user}@${node.host}`,
  ];
}

/**
 * runs `command` on `node` through the real OpenSSH client. `extra` options come first, so an `-o` there
 * overrides the fleet's (ssh keeps the first value it is given).
 */
export function ssh(
  fleet: Fleet,
  node: FleetNode,
  command: string[],
  opts: { extra?: string[]; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<Run> {
  return run('ssh', [...(opts.extra ?? []), ...sshArgs(fleet, node), ...command], opts);
}
