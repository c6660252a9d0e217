/**
 * `agency push`: installs or upgrades the node agent on nodes in parallel and starts it. Idempotent: a
 * build already installed is not uploaded again, and a daemon already running it is left alone. Each
 * node gets its own result; one node's failure does not stop the others.
 */
import { SANDBOX_INSTALL, SANDBOX_OPT_OUT, SANDBOX_PROGRAMS } from '../paths/sandbox-programs.js';
import { bundleCacheDir, cachedBundle, type Bundle, type Platform } from './bundle.js';
import { AGENT_DIR } from './remote-link.js';
import { serviceScript } from './service.js';
import { uploadFile } from './upload.js';
import { SshConnection, SshError, type SshOptions, type SshTarget } from './ssh-connect.js';

export type PushFailure = 'host-key' | 'auth' | 'network' | 'no-node' | 'no-sandbox' | 'disk' | 'platform' | 'failed';

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
  ms: number;
  error?: string;
  failure?: PushFailure;
}

class PushError extends Error {
  constructor(
    readonly failure: PushFailure,
    message: string,
  ) {
    super(message);
  }
}

/** One round trip: what the node is, and what of agency it already runs. */
const PROBE = [
  'printf "home=%s\\n" "$HOME"',
  'printf "platform=%s-%s\\n" "$(uname -s)" "$(uname -m)"',
  'if command -v node >/dev/null 2>&1; then printf "node=%s\\n" "$(node -p process.versions.node 2>/dev/null || echo broken)"; else echo node=none; fi',
  'printf "df=%s\\n" "$(df -Pk "$HOME" | tail -n 1)"',
  `a="$HOME/${AGENT_DIR}"`,
  'printf "builds="; for d in "$a"/*/; do [ -f "$d.complete" ] && printf "%s " "$(basename "$d")"; done; echo',
  'printf "current=%s\\n" "$(readlink "$a/current" 2>/dev/null)"',
  // the running daemon's build, if its pid is alive
  'r="$HOME/.agency/run/node.build"; if [ -f "$r" ]; then read b p < "$r"; kill -0 "$p" 2>/dev/null && printf "running=%s\\npid=%s\\n" "$b" "$p"; fi',
  'mkdir -p "$a/incoming" 2>/dev/null; true',
  // what the sessions' sandbox needs on Linux, on the PATH the daemon will have; and whether the operator
  // opted the node out of it in its node.env
  `printf "sandbox="; for p in ${SANDBOX_PROGRAMS.join(' ')}; do command -v "$p" >/dev/null 2>&1 || printf "%s " "$p"; done; echo`,
  'printf "sandboxSetting=%s\\n" "$(sed -n "s/^\\(export  *\\)\\{0,1\\}AGENCY_SANDBOX=//p" "$HOME/.agency/node.env" 2>/dev/null | tail -n 1)"',
].join('; ');

const PLATFORM: Record<string, Platform> = {
  'Linux-x86_64': 'linux-x64',
  'Darwin-arm64': 'darwin-arm64',
  'Darwin-x86_64': 'darwin-x64',
};

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

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function pushNode(
  target: SshTarget,
  bundles: BundleCache,
  ssh: SshOptions,
  opts: { service?: boolean } = {},
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
    const nodeVersion = facts.node ?? 'none';
    const major = Number(/^(\d+)\./.exec(nodeVersion)?.[1] ?? 0);
    if (major < 20)
      throw new PushError(
        'no-node',
        `node ${target.name} has no usable Node.js (${nodeVersion === 'none' ? 'node is not on its PATH' : `found ${nodeVersion}`}): install Node.js 20 or newer there`,
      );
    const platform = PLATFORM[facts.platform ?? ''];
    if (!platform)
      throw new PushError(
        'platform',
        `node ${target.name} runs ${facts.platform}; agency's agent is built for ${Object.keys(PLATFORM).join(', ')}`,
      );
    const noSandbox = missingSandbox(platform, facts);
    if (noSandbox)
      throw new PushError(
        'no-sandbox',
        `node ${target.name} lacks ${noSandbox}, which its sessions' sandbox needs: install ${noSandbox.includes(' and ') ? 'them' : 'it'} there (${SANDBOX_INSTALL}), or opt the node out with ${SANDBOX_OPT_OUT}`,
      );
    const bundle = await bundles.get(platform);
    const agent = `${home}/${AGENT_DIR}`;
    const installed = (facts.builds ?? '').split(' ').includes(bundle.sha256);
    const unchanged = installed && facts.current === bundle.sha256 && facts.running === bundle.sha256;
    if (!unchanged) {
      if (!installed) {
        const freeKb = Number((facts.df ?? '').trim().split(/\s+/)[3] ?? NaN);
        const needKb = Math.ceil((bundle.bytes * 4) / 1024) + 1024;
        if (!(freeKb >= needKb))
          throw new PushError(
            'disk',
            `node ${target.name} is out of disk: ${Number.isFinite(freeKb) ? `${freeKb} KB` : 'unknown space'} free in ${home}, about ${needKb} KB needed`,
          );
        try {
          await uploadFile(conn, bundle.file, `${agent}/incoming/${bundle.sha256}.tgz.part`);
        } catch (e) {
          const msg = (e as Error).message;
          throw new PushError(
            /space|quota|failure/i.test(msg) ? 'disk' : 'failed',
            `node ${target.name}: uploading the agent failed: ${msg}${/failure/i.test(msg) ? ' (the disk may be full)' : ''}`,
          );
        }
      }
      const r = await conn.exec(
        installScript(agent, bundle.sha256, !installed, facts.running ? (facts.pid ?? null) : null),
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
    return done({
      ok: true,
      unchanged,
      platform,
      build: bundle.sha256,
      version: bundle.version,
      ...(service ? { service } : {}),
    });
  } catch (e) {
    const failure = e instanceof PushError ? e.failure : 'failed';
    return done({ ok: false, failure, error: (e as Error).message });
  } finally {
    conn?.end();
  }
}

/**
 * What a Linux node lacks of bubblewrap and socat ("bwrap and socat"), unless its node.env opts it out of
 * the sandbox; null when nothing is missing. macOS needs nothing (Seatbelt is part of it).
 */
export function missingSandbox(platform: Platform, facts: Record<string, string>): string | null {
  if (platform !== 'linux-x64') return null;
  if (
    (facts.sandboxSetting ?? '')
      .trim()
      .replace(/^(['"])(.*)\1$/, '$2')
      .toLowerCase() === 'off'
  )
    return null;
  const missing = (facts.sandbox ?? '').trim().split(/\s+/).filter(Boolean);
  return missing.length ? missing.join(' and ') : null;
}

async function look(conn: SshConnection): Promise<Record<string, string>> {
  const r = await conn.exec(PROBE, { timeoutMs: 30_000 });
  return Object.fromEntries(
    r.stdout
      .split('\n')
      .map((l) => l.split(/=(.*)/s, 2) as [string, string])
      .filter((x) => x.length === 2),
  );
}

/**
 * One round trip: check the upload's hash, unpack it beside the others, switch `current` to it with a
 * rename (a node is never without a complete agent), and restart the daemon on it if another build runs.
 */
function installScript(agent: string, sha: string, unpack: boolean, oldPid: string | null): string {
  const part = `incoming/${sha}.tgz.part`;
  return [
    'set -e',
    `cd ${q(agent)}`,
    ...(unpack
      ? [
          `got=$( (sha256sum ${q(part)} 2>/dev/null || shasum -a 256 ${q(part)}) | cut -d' ' -f1)`,
          `[ "$got" = ${q(sha)} ] || { echo "the uploaded agent does not match its hash ($got)" >&2; exit 3; }`,
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
    `perl -e 'rename("current.new", "current") or die "cannot switch to the new agent: $!\\n"'`,
    ...(oldPid
      ? [
          // the old daemon stops; its live sessions are resumed by the new one
          `kill ${q(oldPid)} 2>/dev/null || true`,
          `i=0; while kill -0 ${q(oldPid)} 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done`,
        ]
      : []),
    // started straight from the shell (one Node process, not two), immune to the session's hangup
    'cd "$HOME"',
    `nohup node ${q(`${agent}/current/bin/agency`)} node serve >> "$HOME/.agency/node.log" 2>&1 < /dev/null &`,
    'i=0; while [ ! -S "$HOME/.agency/run/node.sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done',
    '[ -S "$HOME/.agency/run/node.sock" ] || { tail -n 3 "$HOME/.agency/node.log" >&2; echo "the node daemon did not start" >&2; exit 4; }',
  ].join('\n');
}
