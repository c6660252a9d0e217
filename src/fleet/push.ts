/**
 * `agency push`: installs or upgrades the node agent on nodes in parallel and starts it. Idempotent: a
 * build already installed is not uploaded again, and a daemon already running it is left alone. Each
 * node gets its own result; one node's failure does not stop the others.
 */
import { buildBundle, type Bundle, type Platform } from './bundle.js';
import { AGENT_DIR } from './remote-link.js';
import { SshConnection, SshError, type SshOptions, type SshTarget } from './ssh-connect.js';

export type PushFailure = 'host-key' | 'auth' | 'network' | 'no-node' | 'disk' | 'platform' | 'failed';

export interface PushResult {
  node: string;
  ok: boolean;
  /** the build was installed and running already */
  unchanged?: boolean;
  platform?: Platform;
  build?: string;
  version?: string;
  ms: number;
  error?: string;
  failure?: PushFailure;
}

class PushError extends Error {
  constructor(readonly failure: PushFailure, message: string) {
    super(message);
  }
}

const PROBE = [
  'printf "home=%s\\n" "$HOME"',
  'printf "platform=%s-%s\\n" "$(uname -s)" "$(uname -m)"',
  'if command -v node >/dev/null 2>&1; then printf "node=%s\\n" "$(node -p process.versions.node 2>/dev/null || echo broken)"; else echo node=none; fi',
  'printf "df=%s\\n" "$(df -Pk "$HOME" | tail -n 1)"',
].join('; ');

const PLATFORM: Record<string, Platform> = { 'Linux-x86_64': 'linux-x64', 'Darwin-arm64': 'darwin-arm64', 'Darwin-x86_64': 'darwin-x64' };

/** Builds each platform's bundle once per push, whichever node asks first. */
export class BundleCache {
  private readonly builds = new Map<Platform, Promise<Bundle>>();
  constructor(private readonly dir: string) {}
  get(p: Platform): Promise<Bundle> {
    let b = this.builds.get(p);
    if (!b) {
      b = buildBundle(p, this.dir);
      this.builds.set(p, b);
    }
    return b;
  }
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function pushNode(target: SshTarget, bundles: BundleCache, ssh: SshOptions): Promise<PushResult> {
  const started = Date.now();
  const done = (r: Omit<PushResult, 'node' | 'ms'>): PushResult => ({ node: target.name, ms: Date.now() - started, ...r });
  let conn: SshConnection | null = null;
  try {
    try {
      conn = await SshConnection.connect(target, ssh);
    } catch (e) {
      const kind = e instanceof SshError ? (e.kind === 'protocol' ? 'network' : e.kind) : 'network';
      throw new PushError(kind, (e as Error).message);
    }
    const probe = await conn.exec(PROBE, { timeoutMs: 30_000 });
    const facts = Object.fromEntries(probe.stdout.split('\n').map((l) => l.split(/=(.*)/s, 2) as [string, string]).filter((x) => x.length === 2));
    const home = facts.home ?? '';
    if (!home.startsWith('/')) throw new PushError('failed', `node ${target.name}: cannot tell its home folder (${probe.stderr.trim() || 'no answer'})`);
    const nodeVersion = facts.node ?? 'none';
    const major = Number(/^(\d+)\./.exec(nodeVersion)?.[1] ?? 0);
    if (major < 20)
      throw new PushError('no-node', `node ${target.name} has no usable Node.js (${nodeVersion === 'none' ? 'node is not on its PATH' : `found ${nodeVersion}`}): install Node.js 20 or newer there`);
    const platform = PLATFORM[facts.platform ?? ''];
    if (!platform) throw new PushError('platform', `node ${target.name} runs ${facts.platform}; agency's agent is built for ${Object.keys(PLATFORM).join(', ')}`);
    const bundle = await bundles.get(platform);
    const agent = `${home}/${AGENT_DIR}`;
    const dir = `${agent}/${bundle.sha256}`;

    const installed = (await conn.exec(`test -f ${q(`${dir}/.complete`)} && readlink ${q(`${agent}/current`)}`)).stdout.trim();
    if (installed === '') {
      const freeKb = Number((facts.df ?? '').trim().split(/\s+/)[3] ?? NaN);
      const needKb = Math.ceil((bundle.bytes * 4) / 1024) + 1024;
      if (!(freeKb >= needKb)) throw new PushError('disk', `node ${target.name} is out of disk: ${Number.isFinite(freeKb) ? `${freeKb} KB` : 'unknown space'} free in ${home}, about ${needKb} KB needed`);
      await upload(conn, bundle, `${agent}/incoming`, target.name);
      const part = `${agent}/incoming/${bundle.sha256}.tgz.part`;
      const check = await conn.exec(`node -e ${q(`const c=require('crypto').createHash('sha256');c.update(require('fs').readFileSync(process.argv[1]));process.stdout.write(c.digest('hex'))`)} ${q(part)}`);
      if (check.stdout.trim() !== bundle.sha256) throw new PushError('failed', `node ${target.name}: the uploaded agent does not match its hash (${check.stdout.trim() || check.stderr.trim()})`);
      const unpack = await conn.exec([
        'set -e', `cd ${q(agent)}`, `rm -rf ${q(`${bundle.sha256}.tmp`)}`, `mkdir ${q(`${bundle.sha256}.tmp`)}`,
        `tar xzf ${q(part)} -C ${q(`${bundle.sha256}.tmp`)}`, `touch ${q(`${bundle.sha256}.tmp/.complete`)}`,
        `rm -rf ${q(bundle.sha256)}`, `mv ${q(`${bundle.sha256}.tmp`)} ${q(bundle.sha256)}`, `rm -f ${q(part)}`,
      ].join('\n'), { timeoutMs: 120_000 });
      if (unpack.code !== 0) {
        const why = unpack.stderr.trim().split('\n').pop() ?? '';
        throw new PushError(/No space left/i.test(unpack.stderr) ? 'disk' : 'failed', `node ${target.name}: unpacking the agent failed: ${why}`);
      }
    }
    const switched = installed === bundle.sha256;
    if (!switched) {
      // a rename replaces the link atomically: a node is never without a complete agent
      const sw = await conn.exec(`cd ${q(agent)} && ln -sfn ${q(bundle.sha256)} current.new && node -e "require('fs').renameSync('current.new','current')"`);
      if (sw.code !== 0) throw new PushError('failed', `node ${target.name}: switching to the new agent failed: ${sw.stderr.trim()}`);
    }
    const agency = `node ${q(`${agent}/current/bin/agency`)}`;
    const running = await conn.exec(`${agency} node build 2>/dev/null`);
    const runningBuild = running.code === 0 ? running.stdout.trim() : '';
    if (runningBuild !== bundle.sha256) {
      if (runningBuild) await conn.exec(`${agency} node stop`, { timeoutMs: 30_000 });
      const start = await conn.exec(`${agency} node start`, { timeoutMs: 60_000 });
      if (start.code !== 0) throw new PushError('failed', `node ${target.name}: the node daemon did not start: ${start.stderr.trim().split('\n').pop()}`);
    }
    return done({ ok: true, unchanged: installed === bundle.sha256 && runningBuild === bundle.sha256, platform, build: bundle.sha256, version: bundle.version });
  } catch (e) {
    const failure = e instanceof PushError ? e.failure : 'failed';
    return done({ ok: false, failure, error: (e as Error).message });
  } finally {
    conn?.end();
  }
}

async function upload(conn: SshConnection, bundle: Bundle, dir: string, node: string): Promise<void> {
  const mk = await conn.exec(`mkdir -p ${q(dir)}`);
  if (mk.code !== 0) throw new PushError(/No space/i.test(mk.stderr) ? 'disk' : 'failed', `node ${node}: cannot create ${dir}: ${mk.stderr.trim()}`);
  const { sftp, release } = await conn.sftp();
  try {
    await new Promise<void>((resolve, reject) => {
      sftp.fastPut(bundle.file, `${dir}/${bundle.sha256}.tgz.part`, { concurrency: 16, chunkSize: 64 * 1024 }, (err) => (err ? reject(err) : resolve()));
    });
  } catch (e) {
    const msg = (e as Error).message;
    throw new PushError(/space|quota|failure/i.test(msg) ? 'disk' : 'failed', `node ${node}: uploading the agent failed: ${msg}${/failure/i.test(msg) ? ' (the disk may be full)' : ''}`);
  } finally {
    release();
  }
}
