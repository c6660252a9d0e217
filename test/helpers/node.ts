/**
 * A private agency node for a test: its own AGENCY_HOME, the real Claude Code CLI, a scripted Messages
 * API, and the fixture registry. Commands run as a user runs them: the built `agency` in a child process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneSessionTmpDirs } from '../../src/node/session-tmp.js';
import { nodePaths } from '../../src/paths/node-home.js';
import { processTree } from '../../src/session/process-tree.js';
import { startScriptedApi, type Scenario, type ScriptedApi } from '../fixtures/messages-api.js';
import { AGENCY_BIN } from './agency.js';
import { CLAUDE_BIN, isolatedHome, type IsolatedHome } from './claude.js';

export const MIN_REGISTRY = fileURLToPath(new URL('../fixtures/registry-min', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TestNode {
  api: ScriptedApi;
  home: IsolatedHome;
  agencyHome: string;
  /** the API key the node has (in its node.env) */
  key: string;
  repo: string;
  env: NodeJS.ProcessEnv;
  /** runs `agency …` without blocking this process (the scripted API lives here) */
  agency(args: string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<Run>;
  /** the pid of the running node daemon, from its lock file */
  daemonPid(): number | null;
  cleanup(): Promise<void>;
}

export async function testNode(
  scenario: Scenario,
  opts: {
    preseed?: boolean;
    env?: NodeJS.ProcessEnv;
    /** the node's home where an operator's is, ~/.agency (its worktrees in it), instead of a short folder in /tmp */
    homeAgency?: boolean;
    /** false: no key in the node's node.env (and none in the commands' environment) */
    key?: boolean;
  } = {},
): Promise<TestNode> {
  const api = await startScriptedApi(scenario);
  const home = await isolatedHome(api.url, { preseed: opts.preseed ?? true });
  // short: a Unix socket's path must fit in ~104 bytes
  const agencyHome = opts.homeAgency ? join(home.home, '.agency') : realpathSync(mkdtempSync('/tmp/ag-'));
  mkdirSync(agencyHome, { recursive: true, mode: 0o700 });
  // the key is in the node's node.env, as an operator sets a node up, not in the environment of the
  // commands that start it: its sessions get it through their key helper
  writeFileSync(
    join(agencyHome, 'node.env'),
    opts.key === false ? '' : `ANTHROPIC_API_KEY=${home.env.ANTHROPIC_API_KEY}\n`,
    { mode: 0o600 },
  );
  const { ANTHROPIC_API_KEY: _key, ...homeEnv } = home.env;
  const repo = join(home.home, 'repo');
  const env: NodeJS.ProcessEnv = {
    ...homeEnv,
    AGENCY_HOME: agencyHome,
    AGENCY_CLAUDE_BIN: CLAUDE_BIN,
    AGENCY_REGISTRY: MIN_REGISTRY,
    AGENCY_TEST_FIXTURES: FIXTURES,
    ...opts.env,
  };
  // like an operator whose machines cannot reach claude.ai: WebFetch skips its domain preflight there
  writeFileSync(join(home.configDir, 'settings.json'), `${JSON.stringify({ skipWebFetchPreflight: true })}\n`);
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, env, stdio: 'ignore' });
  execFileSync('mkdir', ['-p', repo]);
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), 'fixture repository\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');

  const agency = (args: string[], o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) =>
    new Promise<Run>((resolve, reject) => {
      const p = spawn(process.execPath, [AGENCY_BIN, ...args], {
        cwd: repo,
        env: o.env ?? env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(
          new Error(`agency ${args.join(' ')} did not finish in ${o.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`),
        );
      }, o.timeoutMs ?? 60_000);
      p.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });

  const daemonPid = () => {
    try {
      return Number(readFileSync(join(agencyHome, 'run', 'node.pid'), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  };

  return {
    api,
    home,
    agencyHome,
    key: String(home.env.ANTHROPIC_API_KEY),
    repo,
    env,
    agency,
    daemonPid,
    async cleanup() {
      const pid = daemonPid();
      const tree = pid ? processTree(pid) : [];
      await agency(['node', 'stop'], { timeoutMs: 15_000 }).catch(() => undefined);
      // the sessions end when their terminals close; wait for them (and end any that linger)
      const alive = () =>
        tree.filter((p) => {
          try {
            process.kill(p, 0);
            return true;
          } catch {
            return false;
          }
        });
      const deadline = Date.now() + 10_000;
      while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const p of alive()) process.kill(p, 'SIGKILL');
      await api.close();
      pruneSessionTmpDirs(nodePaths(agencyHome), () => false);
      rmSync(home.home, { recursive: true, force: true, maxRetries: 5 });
      rmSync(agencyHome, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/** Runs a session to its end, approving whatever it asks the operator (at most `rounds` times). */
export async function runApproving(n: TestNode, session: string, rounds = 40): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const w = await n.agency(['wait', session, '--until', 'input', '--timeout', '90'], { timeoutMs: 100_000 });
    if (w.code === 0) return;
    if (w.code !== 3) throw new Error(`wait ended with ${w.code}: ${w.stdout}${w.stderr}`);
    const open = JSON.parse((await n.agency(['decisions', '--json'])).stdout).decisions as { id: string }[];
    for (const d of open) await n.agency(['approve', d.id]);
  }
  throw new Error('the session kept asking');
}
