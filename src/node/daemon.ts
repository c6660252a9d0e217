/**
 * `agency node serve`: the node daemon. One per user and machine (a pid lock), reached through a Unix
 * socket in a folder only its user can read. It outlives the command that started it; its sessions
 * outlive it (resumed with Claude Code's own resume when it comes back).
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { connect } from 'node:net';
import { baseRegistryDir, guardScriptPath, lifecycleHookPath, mcpServerPath, packageRoot } from '../paths/package.js';
import { isLive, PROTOCOL_VERSION, type NodeInfo } from '../protocol/messages.js';
import { nodeDispatcher } from './worker-host.js';
import { NodeLanding } from './landing.js';
import { NodeOrgStore } from './org-store.js';
import { NodeSettingsStore } from './settings-store.js';
import { auditDir, createEconomics } from './economics.js';
import { AuditLog } from '../audit/log.js';
import { auditTable, recordStart } from './audit-events.js';
import { relaySpend } from './spend-events.js';
import { warnOperator } from './warnings.js';
import { BudgetGuard } from './budget-guard.js';
import { NodeManager } from './manager.js';
import { composeAdmission, OPEN_ADMISSION } from './admission.js';
import { RatePause } from './rate-pause.js';
import { StartQueue } from './start-queue.js';
import { ensureDirs, nodePaths, type NodePaths } from '../paths/node-home.js';
import { checkSandbox } from './sandbox-check.js';
import { nodeAuth } from './run-request.js';
import { createNodeServer } from './server.js';
import { SessionTokens } from './session-tokens.js';
import { writeKeyFile } from './session-env.js';
import { pruneSessionTmpDirs, removeSessionTmpDir } from './session-tmp.js';
import { startResidentGuard } from './guard-wiring.js';
import { turnGate } from './turn-gate.js';
import { processAlive } from '../paths/fs-facts.js';
import { nodeEnvPath, readNodeEnv } from '../paths/node-env.js';
import { serviceInfo } from './service-info.js';
import { pathWithRuntime, runtimeInfo } from './runtime-info.js';

export interface ServeOptions {
  name?: string;
  agentVersion: string;
  /** a file descriptor to write "ready\n" to once the socket accepts connections */
  readyFd?: number;
}

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Takes the node's lock; returns false if a live node holds it. */
async function lock(p: NodePaths): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(p.lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(p.lock, 'utf8').trim());
      if (pid && processAlive(pid) && (await answers(p.socket))) return false;
      rmSync(p.lock, { force: true });
    }
  }
  return false;
}

/**
 * Removes the socket, the build file and the lock as the daemon exits, only while the lock is still its
 * own: a successor that took the lock while this one was shutting down keeps what it made.
 */
export function releaseLock(p: NodePaths, pid = process.pid): boolean {
  let holder: string;
  try {
    holder = readFileSync(p.lock, 'utf8').trim();
  } catch {
    return false;
  }
  if (holder !== String(pid)) return false;
  rmSync(p.socket, { force: true });
  rmSync(p.buildFile, { force: true });
  rmSync(p.lock, { force: true });
  return true;
}

/**
 * `~/.agency/node.env`: KEY=VALUE lines for the node's sessions (an API key's variable, a proxy, the
 * claude to run). A daemon started over SSH gets a bare environment; this is where a node is set up.
 * Variables already in the environment win.
 */
function loadNodeEnv(home: string): string[] {
  const file = nodeEnvPath(home);
  const parsed = readNodeEnv(home);
  if (!parsed) return [];
  const set: string[] = [];
  for (const [name, value] of Object.entries(parsed.vars)) {
    if (process.env[name] === undefined) {
      process.env[name] = value;
      set.push(name);
    }
  }
  // the lines themselves may hold secrets: only their numbers are logged
  const { skipped } = parsed;
  if (skipped.length)
    process.stderr.write(
      `agency node: ${file}: line${skipped.length > 1 ? 's' : ''} ${skipped.join(', ')} ignored (not KEY=VALUE)\n`,
    );
  return set;
}

/** A pushed agent lives in a folder named by its bundle's hash; a checkout is `dev`. */
export function agentBuild(): string {
  const name = basename(realpathSync(packageRoot()));
  return /^[0-9a-f]{64}$/.test(name) ? name : 'dev';
}

export async function serveNode(o: ServeOptions): Promise<void> {
  const paths = nodePaths();
  ensureDirs(paths);
  const fromEnvFile = loadNodeEnv(paths.home);
  // on agency's Node, `node` is found by what sessions and workers run (after the node's own)
  const path = pathWithRuntime(process.env.PATH);
  if (path !== undefined) process.env.PATH = path;
  const ready = () => {
    if (o.readyFd !== undefined) {
      try {
        writeSync(o.readyFd, 'ready\n');
        closeSync(o.readyFd);
      } catch {
        // whoever waited has gone
      }
    }
  };
  if (!(await lock(paths))) {
    process.stderr.write(`agency node: a node is already running for ${paths.home}\n`);
    ready();
    return;
  }
  if (existsSync(paths.socket)) rmSync(paths.socket, { force: true });
  const info: NodeInfo = {
    name: o.name ?? process.env.AGENCY_NODE_NAME ?? 'local',
    agentVersion: o.agentVersion,
    build: agentBuild(),
    protocol: PROTOCOL_VERSION,
    host: hostname(),
    platform: `${process.platform}-${process.arch}`,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    sandbox: checkSandbox(),
    // from its environment and node.env as the daemon starts; `run` looks again each time
    auth: nodeAuth(process.env),
    runtime: runtimeInfo(),
  };
  const service = serviceInfo();
  if (service) info.service = service;
  const tokens = SessionTokens.load(paths.home);
  // sessions get the key through their key helper, from this file, never through their environment
  writeKeyFile(paths, process.env);
  // the audit trail, read back first: every module below appends to it
  const auditBytes = Number(process.env.AGENCY_AUDIT_MAX_BYTES);
  const audit = AuditLog.open({
    dir: auditDir(paths.home),
    node: info.name,
    ...(auditBytes > 0 ? { maxBytes: auditBytes } : {}),
    onTrouble: (m) => warnOperator(info, m),
  });
  for (const d of audit.damage) warnOperator(info, `audit trail: ${d}`);
  recordStart(audit, auditDir(paths.home), info, audit.damage);
  // the turn gate: a session a budget covers asks for its next turn only once its last is recorded
  const gate = turnGate({
    holds: (id, token) => tokens.holds(id, token),
    covers: (id) => budgets.gated(id),
    transcripts: (id) => manager.transcripts(id),
  });
  const guard = await startResidentGuard(paths, tokens, (id) => manager.guardPolicy(id), audit, gate);
  const baseRegistry = baseRegistryDir();
  // the organisation given to the node (agency org apply): its overlay is the registry runs and workers use
  const org = new NodeOrgStore({
    home: paths.home,
    base: baseRegistry,
    info,
    onChange: () => manager.relay({ kind: 'node-info', info: { ...info } }),
  });
  // the budgets, rate limits and model routing the operator's config gives the node
  const settings = new NodeSettingsStore({
    home: paths.home,
    info,
    onChange: () => manager.relay({ kind: 'node-info', info: { ...info } }),
  });
  settings.load();
  const economics = createEconomics({
    home: paths.home,
    settings,
    node: info.name,
    warn: (text) => warnOperator(info, `the spend log: ${text}`),
    audit,
  });
  // session starts per VP and tokens per minute (token buckets), and the API's 429 pause: work over them waits
  const pause = new RatePause({ info, changed: () => manager.relay({ kind: 'node-info', info: { ...info } }) });
  const rates = new StartQueue({ settings, turns: economics.ledger, pause, audit });
  const manager = new NodeManager({
    admission: composeAdmission(OPEN_ADMISSION, rates),
    settings: () => settings.current(),
    paths,
    info,
    tokens,
    claudeBin: process.env.AGENCY_CLAUDE_BIN || 'claude',
    registryDir: baseRegistry,
    orgRegistry: () => org.registry(),
    audit,
    programs: {
      node: process.execPath,
      guard: guardScriptPath(),
      lifecycle: lifecycleHookPath(),
      mcp: mcpServerPath(),
    },
    turns: economics.ledger,
  });
  manager.spendNow = () => economics.spend();
  const stopSpend = relaySpend({
    node: info.name,
    ledger: economics.ledger,
    spend: economics.spend,
    emit: (e) => manager.relay(e),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    stopSpend();
    server.close();
    await guard.close();
    await manager.shutdown();
    await workers.close();
    audit.close();
    releaseLock(paths);
    process.exit(0);
  };
  const landing = new NodeLanding({ manager, paths });
  const workers = nodeDispatcher({
    manager,
    paths,
    info,
    env: process.env,
    claudeBin: process.env.AGENCY_CLAUDE_BIN || 'claude',
    registryDir: baseRegistry,
    orgRegistry: () => org.registry(),
    programs: { node: process.execPath, guard: guardScriptPath() },
    turns: economics.ledger,
    settings: () => settings.current(),
    rates,
    held: (s) => budgets.holds(s),
  });
  // budgets: checked at each turn the ledger hears, and at every start
  const budgets = new BudgetGuard({
    node: info.name,
    home: paths.home,
    manager,
    workers,
    ledger: economics.ledger,
    settings,
    audit: economics.audit,
    warn: (text) => warnOperator(info, text),
  });
  economics.sync = (a) => budgets.sync(a);
  manager.admission = composeAdmission(budgets, rates);
  // read back and checked again; one that does not pass is a warning of the node's, not its end
  org.load();
  const server = createNodeServer({
    manager,
    landing,
    workers,
    org,
    economics,
    info,
    tokens,
    onShutdown: () => void stop(),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(paths.socket, () => resolve());
  });
  chmodSync(paths.socket, 0o600);
  // what push compares, without starting Node on the node: the build this daemon runs, and its pid
  writeFileSync(paths.buildFile, `${info.build} ${process.pid}\n`, { mode: 0o600 });
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('SIGHUP', () => undefined);
  // runs, compiles and decisions from here on (what recover brings back was recorded when it happened)
  auditTable(manager, audit, paths.sessions);
  manager.recover();
  budgets.start();
  workers.recover();
  void landing.measureMissing();
  // a session's temporary folder goes when it ends; those of sessions that ended while no node ran, now
  pruneSessionTmpDirs(paths, (id) => manager.snapshot().sessions.some((x) => x.id === id && isLive(x)));
  manager.onEvent((e) => {
    if (e.kind === 'session' && !isLive(e.session)) removeSessionTmpDir(paths, e.session.id);
  });
  // one write: whoever waits for "serving" in the log finds what follows it there too
  const said = [
    `serving ${paths.socket} (pid ${process.pid})${fromEnvFile.length ? `; from node.env: ${fromEnvFile.join(' ')}` : ''}`,
  ];
  const sb = info.sandbox!;
  if (sb.mode !== 'on')
    said.push(`${sb.mode === 'off' ? 'sessions run unsandboxed' : 'sessions refused'}: ${sb.reason}`);
  if (!info.auth?.key && !info.auth?.login)
    said.push(
      `no API key and no Claude Code login: \`run\` is refused until ANTHROPIC_API_KEY is in ${join(paths.home, 'node.env')} (then agency node stop) or the node's user logs in to Claude Code`,
    );
  process.stderr.write(said.map((l) => `agency node ${info.name}: ${l}\n`).join(''));
  ready();
}
