/**
 * An agency fleet for end-to-end tests: test nodes (fleet.ts) configured in an operator config of their
 * own, each with a scripted Messages API on its gateway address (the only address a node can reach), a
 * node.env that points its sessions at it and at the real Claude Code CLI (the copy in the node share,
 * which every user can read), and a git repository to work on. A node behind another (`behind`) is configured
 * with that node as its `jump` host, and reaches its API through a relay in that node's namespace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScriptedApi, type Scenario, type ScriptedApi } from '../fixtures/messages-api.js';
import { AGENCY_BIN } from './agency.js';
import { FAKE_API_KEY } from './claude.js';
import { spawn } from 'node:child_process';
import { fleetUp, ssh, type Fleet, type FleetNode, type FleetOptions, type Run } from './fleet.js';
import { nodeShare } from './node-share.js';

export interface AgencyFleet {
  fleet: Fleet;
  apis: Map<string, ScriptedApi>;
  configFile: string;
  env: NodeJS.ProcessEnv;
  /** `agency …` as the operator runs it, against this fleet's config */
  agency(args: string[], opts?: { timeoutMs?: number }): Promise<Run>;
  node(name: string): FleetNode;
  cleanup(): Promise<void>;
}

/** Node names in the operator's config are the fleet's: n1, n2, … */
export async function agencyFleet(
  n: number,
  scenario: (node: FleetNode) => Scenario,
  opts: FleetOptions & { known?: (node: FleetNode) => string | null } = {},
): Promise<AgencyFleet> {
  // the nodes' users run these: the checkout may be private to its owner
  const share = nodeShare();
  const fleet = await fleetUp(n, opts);
  const dir = mkdtempSync(join(tmpdir(), 'agency-fleet-op-'));
  const apis = new Map<string, ScriptedApi>();
  try {
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(
      knownHosts,
      fleet.nodes
        .map((x) => (opts.known ? opts.known(x) : `${x.host} ${x.hostKey}`))
        .filter(Boolean)
        .join('\n') + '\n',
    );
    const configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify(
        {
          nodes: fleet.nodes.map((x) => ({
            name: x.name,
            host: x.host,
            user: x.user,
            port: x.port,
            identityFile: fleet.clientKey,
            knownHostsFile: knownHosts,
            ...(x.behind ? { jump: x.behind } : {}),
          })),
        },
        null,
        2,
      ),
    );
    await Promise.all(
      fleet.nodes.map(async (x) => {
        // a node behind another reaches the host only through a relay in that node's namespace
        const via = x.behind ? fleet.nodes.find((y) => y.name === x.behind)! : undefined;
        const api = await startScriptedApi(scenario(x), { host: (via ?? x).gateway });
        apis.set(x.name, api);
        const url = new URL(api.url);
        if (via) await fleet.relay(fleet.nodes.indexOf(x) + 1, Number(url.port));
        url.hostname = x.gateway;
        const nodeEnv = [
          `ANTHROPIC_BASE_URL=${url.origin}`,
          `ANTHROPIC_API_KEY=${FAKE_API_KEY}`,
          'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
          'DISABLE_AUTOUPDATER=1',
          `AGENCY_CLAUDE_BIN=${share.claudeBin}`,
          `AGENCY_REGISTRY=${share.registry}`,
          `AGENCY_TEST_FIXTURES=${share.fixtures}`,
        ].join('\n');
        const setup = [
          'mkdir -p ~/.agency && cat > ~/.agency/node.env',
          // the identity its sessions commit with (run checks that git has one)
          'git init -q -b main ~/repo && cd ~/repo && git config user.name t && git config user.email t@example.invalid',
          'echo fixture > README.md && git add -A && git commit -qm init',
        ].join(' && ');
        const r = await ssh(fleet, x, [setup], { input: `${nodeEnv}\n`, timeoutMs: 30_000 });
        // a node whose disk is full cannot take even this; the test of that node expects so
        if (r.code !== 0 && !opts.diskFull?.includes(Number(x.name.slice(1))))
          throw new Error(`setting up ${x.name} failed: ${r.stderr}`);
      }),
    );
    const env: NodeJS.ProcessEnv = { ...process.env, AGENCY_CONFIG: configFile, AGENCY_HOME: join(dir, 'home') };
    delete env.SSH_AUTH_SOCK;
    return {
      fleet,
      apis,
      configFile,
      env,
      agency: (args, o = {}) => runWithEnv(process.execPath, [AGENCY_BIN, ...args], env, o.timeoutMs ?? 120_000),
      node: (name) => fleet.nodes.find((x) => x.name === name)!,
      async cleanup() {
        await Promise.all([...apis.values()].map((a) => a.close()));
        await fleet.down();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await Promise.all([...apis.values()].map((a) => a.close()));
    await fleet.down();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function runWithEnv(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`agency ${args.slice(1).join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
