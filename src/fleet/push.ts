/**
 * `agency push`: installs or upgrades the node agent on nodes in parallel and starts it. Idempotent: a
 * build already installed is not uploaded again, and a daemon already running it is left alone. Each
 * node gets its own result; one node's failure does not stop the others.
 */
import { SANDBOX_INSTALL, SANDBOX_OPT_OUT } from '../paths/sandbox-programs.js';
import { bundleCacheDir, cachedBundle, type Bundle, type Platform } from './bundle.js';
import {
  hasRuntime,
  launcherExec,
  launcherNode,
  launcherScript,
  libcName,
  missingSandbox,
  parseProbe,
  planNode,
  PROBE,
  PushError,
  RUNTIME_DIR,
  type Facts,
  type PushFailure,
  type RuntimeMode,
} from './push-plan.js';
import { AGENT_DIR, AGENT_LAUNCHER } from './remote-link.js';
import type { Runtime, RuntimeCache } from './runtime.js';
import { serviceScript } from './service.js';
import { uploadFile } from './upload.js';
import { SshConnection, SshError, type SshOptions, type SshTarget } from './ssh-connect.js';

export { missingSandbox, type PushFailure };

export interface PushResult {
  node: string;
  ok: boolean;
  /** with --service: how the daemon is kept (systemd, launchd), or why it could not be */
  service?: string;
  /** the build was installed and running already */
  unchanged?: boolean;
  platform?: Platform;
  build?: string;
  version?: string;
  /** the Node the agent runs on there: the node's own (`system`) or the one agency installed (`bundled`), and its version */
  runtime?: { kind: 'system' | 'bundled'; node: string };
  /** bytes this push sent to the node: the runtime's archive and the agent's (0 when the node had them) */
  uploaded?: { runtime: number; agent: number };
  /** the node's C library or macOS version (`glibc 2.36`, `macOS 14.5`), when it said */
  libc?: string;
  ms: number;
  error?: string;
  failure?: PushFailure;
}

/**
 * Each platform's bundle, once per push whichever node asks first, from the bundle cache when agency has
 * not changed since it was last built.
 */
export class BundleCache {
  private readonly builds = new Map<Platform, Promise<Bundle>>();
  constructor(private readonly dir = bundleCacheDir()) {}
  get(p: Platform): Promise<Bundle> {
    let b = this.builds.get(p);
    if (!b) {
      b = cachedBundle(p, this.dir);
      this.builds.set(p, b);
    }
    return b;
  }
  /** Starts on this machine's own platform while the nodes are reached: most fleets run the same one. */
  prefetchLocal(): void {
    const local = LOCAL_PLATFORM[`${process.platform}-${process.arch}`];
    if (local) this.get(local).catch(() => undefined);
  }
}

const LOCAL_PLATFORM: Record<string, Platform> = {
  'linux-x64': 'linux-x64',
  'darwin-arm64': 'darwin-arm64',
  'darwin-x64': 'darwin-x64',
};

import { shq as q } from './shell-quote.js';

export interface PushOptions {
  service?: boolean;
  /** which Node the agent runs on there (the node's `runtime` in the config) */
  runtime?: RuntimeMode;
}

export async function pushNode(
  target: SshTarget,
  bundles: BundleCache,
  runtimes: RuntimeCache,
  ssh: SshOptions,
  opts: PushOptions = {},
): Promise<PushResult> {
  const started = Date.now();
  const done = (r: Omit<PushResult, 'node' | 'ms'>): PushResult => ({
    node: target.name,
    ms: Date.now() - started,
    ...r,
  });
  let conn: SshConnection | null = null;
  try {
    try {
      conn = await SshConnection.connect(target, ssh);
    } catch (e) {
      const kind = e instanceof SshError ? (e.kind === 'protocol' ? 'network' : e.kind) : 'network';
      throw new PushError(kind, (e as Error).message);
    }
    const facts = await look(conn);
    const home = facts.home ?? '';
    if (!home.startsWith('/')) throw new PushError('failed', `node ${target.name}: cannot tell its home folder`);
    const plan = planNode(target.name, facts, opts.runtime ?? 'auto');
    const platform = plan.platform;
    const noSandbox = missingSandbox(platform, facts);
    if (noSandbox)
      throw new PushError(
        'no-sandbox',
        `node ${target.name} lacks ${noSandbox}, which its sessions' sandbox needs: install ${noSandbox.includes(' and ') ? 'them' : 'it'} there (${SANDBOX_INSTALL}), or opt the node out with ${SANDBOX_OPT_OUT}`,
      );
    let runtime: Runtime | null = null;
    if (plan.runtime.kind === 'bundled') {
      try {
        runtime = await runtimes.get(plan.runtime.platform);
      } catch (e) {
        throw new PushError('failed', `node ${target.name} needs agency's Node runtime: ${(e as Error).message}`);
      }
    }
    const bundle = await bundles.get(platform);
    const agent = `${home}/${AGENT_DIR}`;
    const nodeBin = launcherNode(home, plan.runtime, runtime?.sha256 ?? null);
    const installed = (facts.builds ?? '').split(' ').includes(bundle.sha256);
    const runtimeThere = !runtime || hasRuntime(facts, runtime.sha256);
    const launcherOk = (facts.launcher ?? '').trim() === launcherExec(nodeBin);
    const unchanged =
      installed && runtimeThere && launcherOk && facts.current === bundle.sha256 && facts.running === bundle.sha256;
    const uploaded = { runtime: 0, agent: 0 };
    if (!unchanged) {
      const needKb =
        (installed ? 0 : Math.ceil((bundle.bytes * 4) / 1024)) +
        (runtime && !runtimeThere ? Math.ceil((runtime.bytes * 4) / 1024) : 0);
      if (needKb > 0) checkDisk(target.name, home, facts, needKb + 1024);
      // both at once, each on its own channel
      const c = conn;
      await Promise.all([
        runtime && !runtimeThere
          ? upload(
              c,
              target.name,
              'the Node runtime',
              runtime.file,
              `${home}/${RUNTIME_DIR}/incoming/${runtime.sha256}.tgz.part`,
            ).then(() => (uploaded.runtime = runtime.bytes))
          : null,
        installed
          ? null
          : upload(c, target.name, 'the agent', bundle.file, `${agent}/incoming/${bundle.sha256}.tgz.part`).then(
              () => (uploaded.agent = bundle.bytes),
            ),
      ]);
      const r = await conn.exec(
        [
          'set -e',
          ...(runtime && !runtimeThere ? runtimeScript(`${home}/${RUNTIME_DIR}`, runtime.sha256) : []),
          ...installScript(agent, bundle.sha256, !installed, facts.running ? (facts.pid ?? null) : null, nodeBin),
        ].join('\n'),
        { timeoutMs: 120_000 },
      );
      if (r.code !== 0) {
        const why = r.stderr.trim().split('\n').pop() ?? '';
        const kind: PushFailure = /No space left/i.test(r.stderr) ? 'disk' : 'failed';
        throw new PushError(kind, `node ${target.name}: ${why || `installing the agent failed (exit ${r.code})`}`);
      }
    }
    let service: string | undefined;
    if (opts.service) {
      const r = await conn.exec(serviceScript(platform, home), { timeoutMs: 60_000 });
      service =
        r.code === 0
          ? (/service=(\w+)/.exec(r.stdout)?.[1] ?? 'installed')
          : `not installed: ${r.stderr.trim().split('\n').pop()}`;
    }
    const libc = libcName(facts);
    return done({
      ok: true,
      unchanged,
      platform,
      build: bundle.sha256,
      version: bundle.version,
      runtime:
        plan.runtime.kind === 'system'
          ? { kind: 'system', node: plan.runtime.node }
          : { kind: 'bundled', node: runtime!.node },
      uploaded,
      ...(libc ? { libc } : {}),
      ...(service ? { service } : {}),
    });
  } catch (e) {
    const failure = e instanceof PushError ? e.failure : 'failed';
    return done({ ok: false, failure, error: (e as Error).message });
  } finally {
    conn?.end();
  }
}

function checkDisk(name: string, home: string, facts: Facts, needKb: number): void {
  const freeKb = Number((facts.df ?? '').trim().split(/\s+/)[3] ?? NaN);
  if (!(freeKb >= needKb))
    throw new PushError(
      'disk',
      `node ${name} is out of disk: ${Number.isFinite(freeKb) ? `${freeKb} KB` : 'unknown space'} free in ${home}, about ${needKb} KB needed`,
    );
}

async function upload(conn: SshConnection, name: string, what: string, file: string, to: string): Promise<void> {
  try {
    await uploadFile(conn, file, to);
  } catch (e) {
    const msg = (e as Error).message;
    throw new PushError(
      /space|quota|failure/i.test(msg) ? 'disk' : 'failed',
      `node ${name}: uploading ${what} failed: ${msg}${/failure/i.test(msg) ? ' (the disk may be full)' : ''}`,
    );
  }
}

async function look(conn: SshConnection): Promise<Facts> {
  const r = await conn.exec(PROBE, { timeoutMs: 30_000 });
  return parseProbe(r.stdout);
}

const checkHash = (file: string, sha: string, what: string) => [
  `got=$( (sha256sum ${q(file)} 2>/dev/null || shasum -a 256 ${q(file)}) | cut -d' ' -f1)`,
  `[ "$got" = ${q(sha)} ] || { echo "the uploaded ${what} does not match its hash ($got)" >&2; exit 3; }`,
];

/** Checks the runtime's upload and unpacks it where every build that runs on it finds it, complete or not at all. */
function runtimeScript(dir: string, sha: string): string[] {
  const part = `incoming/${sha}.tgz.part`;
  return [
    `cd ${q(dir)}`,
    ...checkHash(part, sha, 'Node runtime'),
    `rm -rf ${q(`${sha}.tmp`)}`,
    `mkdir ${q(`${sha}.tmp`)}`,
    `tar xzf ${q(part)} -C ${q(`${sha}.tmp`)}`,
    `${q(`${sha}.tmp/bin/node`)} -e 0 || { echo "the Node runtime does not run on this node" >&2; exit 5; }`,
    `touch ${q(`${sha}.tmp/.complete`)}`,
    `rm -rf ${q(sha)}`,
    `mv ${q(`${sha}.tmp`)} ${q(sha)}`,
    `rm -f ${q(part)}`,
  ];
}

/**
 * Checks the agent's upload, unpacks it beside the others, switches `current` to it with a rename (a node
 * is never without a complete agent), writes the launcher for the chosen Node, and restarts the daemon
 * through it if another runs.
 */
function installScript(agent: string, sha: string, unpack: boolean, oldPid: string | null, nodeBin: string): string[] {
  const part = `incoming/${sha}.tgz.part`;
  return [
    `cd ${q(agent)}`,
    ...(unpack
      ? [
          ...checkHash(part, sha, 'agent'),
          `rm -rf ${q(`${sha}.tmp`)}`,
          `mkdir ${q(`${sha}.tmp`)}`,
          `tar xzf ${q(part)} -C ${q(`${sha}.tmp`)}`,
          `touch ${q(`${sha}.tmp/.complete`)}`,
          `rm -rf ${q(sha)}`,
          `mv ${q(`${sha}.tmp`)} ${q(sha)}`,
          `rm -f ${q(part)}`,
        ]
      : []),
    `ln -sfn ${q(sha)} current.new`,
    // rename(2) replaces the link in one step (mv would move it into the folder it points to)
    `${q(nodeBin)} -e 'require("fs").renameSync("current.new", "current")' || { echo "cannot switch to the new agent" >&2; exit 6; }`,
    // the launcher, replaced whole
    `printf '%s' ${q(launcherScript(nodeBin))} > agency.new`,
    'chmod 755 agency.new',
    `mv -f agency.new ${q(AGENT_LAUNCHER.slice(AGENT_DIR.length + 1))}`,
    ...(oldPid
      ? [
          // the old daemon stops; its live sessions are resumed by the new one
          `kill ${q(oldPid)} 2>/dev/null || true`,
          `i=0; while kill -0 ${q(oldPid)} 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done`,
        ]
      : []),
    // started straight from the shell through the launcher (one Node process), immune to the session's hangup
    'cd "$HOME"',
    `nohup ${q(`${agent}/agency`)} node serve >> "$HOME/.agency/node.log" 2>&1 < /dev/null &`,
    'i=0; while [ ! -S "$HOME/.agency/run/node.sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done',
    '[ -S "$HOME/.agency/run/node.sock" ] || { tail -n 3 "$HOME/.agency/node.log" >&2; echo "the node daemon did not start" >&2; exit 4; }',
  ];
}
