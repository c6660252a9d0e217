/**
 * `agency push`: installs or upgrades the node agent on nodes in parallel and starts it. Idempotent: a
 * build already installed is not uploaded again, and a daemon already running it is left alone. Each
 * node gets its own result; one node's failure does not stop the others.
 */
import { randomBytes } from 'node:crypto';
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
import { incomingPart, installScript } from './install-script.js';
import { AGENT_DIR } from './remote-link.js';
import type { Runtime, RuntimeCache } from './runtime.js';
import { serviceScript } from './service.js';
import { uploadFile } from './upload.js';
import { SshConnection, SshError, type SshOptions, type SshTarget } from './ssh-connect.js';
import { shq as q } from './shell-quote.js';

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
  /** what the node said while the push succeeded that the operator should know (a service left as it was, no lingering) */
  warnings?: string[];
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
    const warnings: string[] = [];
    if (!unchanged) {
      const needKb =
        (installed ? 0 : Math.ceil((bundle.bytes * 4) / 1024)) +
        (runtime && !runtimeThere ? Math.ceil((runtime.bytes * 4) / 1024) : 0);
      if (needKb > 0) checkDisk(target.name, home, facts, needKb + 1024);
      // this run's own names for what it sends and unpacks: another push to the node at once has others
      const run = randomBytes(6).toString('hex');
      const rtDir = `${home}/${RUNTIME_DIR}`;
      const sendRuntime = runtime && !runtimeThere ? runtime : null;
      // both at once, each on its own channel; a failed upload leaves neither archive behind
      const c = conn;
      const sent = await Promise.allSettled([
        sendRuntime
          ? upload(
              c,
              target.name,
              'the Node runtime',
              sendRuntime.file,
              incomingPart(rtDir, sendRuntime.sha256, run),
            ).then(() => (uploaded.runtime = sendRuntime.bytes))
          : null,
        installed
          ? null
          : upload(c, target.name, 'the agent', bundle.file, incomingPart(agent, bundle.sha256, run)).then(
              () => (uploaded.agent = bundle.bytes),
            ),
      ]);
      const failed = sent.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed) {
        const parts = [
          ...(sendRuntime ? [incomingPart(rtDir, sendRuntime.sha256, run)] : []),
          incomingPart(agent, bundle.sha256, run),
        ];
        await c.exec(`rm -f ${parts.map(q).join(' ')}`, { timeoutMs: 30_000 }).catch(() => undefined);
        throw failed.reason;
      }
      const r = await conn.exec(
        installScript({
          agent,
          sha: bundle.sha256,
          unpack: !installed,
          ...(sendRuntime ? { runtime: { dir: rtDir, sha: sendRuntime.sha256 } } : {}),
          nodeBin,
          launcher: launcherScript(nodeBin),
          run,
        }),
        { timeoutMs: 240_000 },
      );
      if (r.code !== 0) {
        const why = r.stderr.trim().split('\n').pop() ?? '';
        const kind: PushFailure = /No space left|Disk quota/i.test(r.stderr) ? 'disk' : 'failed';
        throw new PushError(kind, `node ${target.name}: ${why || `installing the agent failed (exit ${r.code})`}`);
      }
      warnings.push(...saidLines(r.stderr));
    }
    let service: string | undefined;
    if (opts.service) {
      const r = await conn.exec(serviceScript(platform, home), { timeoutMs: 60_000 });
      service =
        r.code === 0
          ? (/service=(\w+)/.exec(r.stdout)?.[1] ?? 'installed')
          : `not installed: ${r.stderr.trim().split('\n').pop()}`;
      if (r.code === 0) warnings.push(...saidLines(r.stderr));
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
      ...(warnings.length ? { warnings } : {}),
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
      /No space left|quota/i.test(msg) ? 'disk' : 'failed',
      `node ${name}: uploading ${what} failed: ${msg}`,
    );
  }
}

async function look(conn: SshConnection): Promise<Facts> {
  const r = await conn.exec(PROBE, { timeoutMs: 30_000 });
  return parseProbe(r.stdout);
}

/** Each line the node wrote to stderr, without blanks. */
const saidLines = (stderr: string) =>
  stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
