/**
 * `agency doctor`: whether this set-up can run sessions, one line per check, each saying what is wrong and
 * what to do. This machine (when it is a node): claude, a key or a login, the sandbox's prerequisites; git
 * and a git identity; the configuration; every configured node, reached as `agency nodes` reaches it but
 * once and briefly; and a running local node that lacks the key this shell has. Exit 1 if any check fails.
 */
import { spawnSync } from 'node:child_process';
import { loadConfig, type OperatorConfig } from '../config/config.js';
import { findProgram } from '../node/find-program.js';
import { checkSandbox } from '../node/sandbox-check.js';
import { hasKey, KEY_VARIABLES } from '../node/session-env.js';
import { claudeLogin } from '../session/claude-login.js';
import { agencyHome } from '../paths/node-home.js';
import { nodeEnvPath, readNodeEnv } from '../paths/node-env.js';
import { SANDBOX_INSTALL, SANDBOX_OPT_OUT } from '../paths/sandbox-programs.js';
import { safeLine } from '../terminal/index.js';
import { fail, pass, type Check } from './doctor-check.js';
import { nodeChecks } from './doctor-nodes.js';
import { EXIT, printJson, say } from './output.js';

/** What this machine's node would start with: this shell's environment over its node.env. */
interface Machine {
  env: NodeJS.ProcessEnv;
  nodeEnv: Record<string, string>;
  nodeEnvFile: string;
  /** node.env is there but cannot be read */
  unreadable: Check | null;
}

function machine(): Machine {
  const home = agencyHome();
  const nodeEnvFile = nodeEnvPath(home);
  let nodeEnv: Record<string, string> = {};
  let unreadable: Check | null = null;
  try {
    nodeEnv = readNodeEnv(home)?.vars ?? {};
  } catch (e) {
    unreadable = fail(
      'node.env',
      `${nodeEnvFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      `make it a file readable by you (chmod 600 ${nodeEnvFile})`,
    );
  }
  return { env: { ...nodeEnv, ...process.env }, nodeEnv, nodeEnvFile, unreadable };
}

/** A program's first line of `--version`, or why there is none. */
function versionOf(path: string, env: NodeJS.ProcessEnv): { version: string } | { error: string } {
  const r = spawnSync(path, ['--version'], { env, encoding: 'utf8', timeout: 15_000 });
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) return { error: `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}` };
  return { version: (r.stdout ?? '').trim().split('\n')[0] ?? '' };
}

function claudeCheck(m: Machine): Check {
  const bin = m.env.AGENCY_CLAUDE_BIN || 'claude';
  const named = m.env.AGENCY_CLAUDE_BIN ? `AGENCY_CLAUDE_BIN (${bin})` : 'claude';
  const fix = `install Claude Code (npm install -g @anthropic-ai/claude-code), or set AGENCY_CLAUDE_BIN to its path in ${m.nodeEnvFile}`;
  const path = findProgram(bin, m.env.PATH);
  if (!path)
    return fail(
      'claude',
      `${named} is not an executable file${bin.includes('/') ? '' : ' on the PATH'}, so this machine's node cannot start sessions`,
      fix,
    );
  const v = versionOf(path, m.env);
  if ('error' in v) return fail('claude', `${path} did not say its version (${v.error})`, fix);
  return pass('claude', `${v.version} (${path})`);
}

function keyCheck(m: Machine): Check {
  const found: string[] = [];
  const inNodeEnv = hasKey(m.nodeEnv);
  const inShell = hasKey(process.env);
  const name = (env: NodeJS.ProcessEnv) => KEY_VARIABLES.find((k) => (env[k] ?? '').trim() !== '')!;
  if (inNodeEnv) found.push(`${name(m.nodeEnv)} in ${m.nodeEnvFile}`);
  if (inShell) found.push(`${name(process.env)} in this shell`);
  const login = claudeLogin(m.env);
  if (login) found.push(`a Claude Code login (${login})`);
  if (found.length === 0)
    return fail(
      'key',
      `no ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN in this shell or in ${m.nodeEnvFile}, and no Claude Code login: sessions could not reach the API`,
      `export ANTHROPIC_API_KEY=… and run agency init to keep it in ${m.nodeEnvFile}, or log in with claude (/login)`,
    );
  const only = inShell && !inNodeEnv && !login;
  return pass(
    'key',
    `${found.join('; ')}${only ? ` (only a node started from a shell like this one gets it; agency init keeps it in ${m.nodeEnvFile})` : ''}`,
  );
}

function gitChecks(): Check[] {
  const git = findProgram('git', process.env.PATH);
  if (!git)
    return [
      fail('git', 'git is not on the PATH', 'install git (apt-get install git; on macOS, xcode-select --install)'),
    ];
  const v = versionOf(git, process.env);
  const checks = [
    'error' in v
      ? fail('git', `${git} did not say its version (${v.error})`, 'reinstall git')
      : pass('git', `${v.version.replace(/^git version /, '')} (${git})`),
  ];
  const get = (key: string) =>
    spawnSync(git, ['config', '--get', key], { encoding: 'utf8', timeout: 10_000 }).stdout?.trim() ?? '';
  const name = process.env.GIT_AUTHOR_NAME || get('user.name');
  const email = process.env.GIT_AUTHOR_EMAIL || get('user.email');
  const missing = [name ? null : 'user.name', email ? null : 'user.email'].filter((x): x is string => x !== null);
  checks.push(
    missing.length === 0
      ? pass('git identity', `${name} <${email}>`)
      : fail(
          'git identity',
          `git has no ${missing.join(' or ')}: sessions could not commit their work`,
          missing
            .map((k) => `git config --global ${k} ${k === 'user.name' ? '"Your Name"' : 'you@example.com'}`)
            .join('; '),
        ),
  );
  return checks;
}

function sandboxCheck(m: Machine): Check {
  const s = checkSandbox({ env: m.env });
  if (s.mode === 'on')
    return pass(
      'sandbox',
      process.platform === 'darwin' ? 'Seatbelt (sandbox-exec)' : 'bubblewrap and socat present; bubblewrap runs',
    );
  if (s.mode === 'off') return pass('sandbox', `off: ${s.reason ?? ''}; this machine's sessions run unsandboxed`);
  return fail(
    'sandbox',
    `${s.reason ?? 'unavailable'}; this machine's node refuses sessions`,
    process.platform === 'linux'
      ? `${SANDBOX_INSTALL}, and allow unprivileged user namespaces; or opt out with ${SANDBOX_OPT_OUT}`
      : `opt out with ${SANDBOX_OPT_OUT}`,
  );
}

function configCheck(): { check: Check; config: OperatorConfig | null } {
  try {
    const config = loadConfig();
    const n = config.nodes.length;
    return {
      config,
      check: pass(
        'config',
        n === 0
          ? 'no nodes configured: this machine is the one node (local)'
          : `${n} node${n > 1 ? 's' : ''}: ${config.nodes.map((x) => x.name).join(', ')}${config.nodes.some((x) => x.local) ? '' : ' (this machine is not one of them; agency nodes add local --local adds it)'}`,
      ),
    };
  } catch (e) {
    return {
      config: null,
      check: fail('config', (e as Error).message, 'fix the file, or move it away and run agency init'),
    };
  }
}

export async function doctorChecks(): Promise<Check[]> {
  const m = machine();
  const { check, config } = configCheck();
  const local = !config || config.nodes.length === 0 || config.nodes.some((n) => n.local);
  const checks: Check[] = m.unreadable ? [m.unreadable] : [];
  if (local) checks.push(claudeCheck(m), keyCheck(m), sandboxCheck(m));
  else
    checks.push(
      pass('claude', 'not needed here: this machine is not a node of the fleet'),
      pass('key', 'not needed here: each node has its own (in its ~/.agency/node.env)'),
    );
  checks.push(...gitChecks(), check);
  if (config) checks.push(...(await nodeChecks(hasKey(process.env))));
  return checks;
}

export async function doctor(o: { json?: boolean }): Promise<void> {
  const checks = await doctorChecks();
  const ok = checks.every((c) => c.ok);
  if (o.json) printJson({ ok, checks });
  else
    for (const c of checks)
      say(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${safeLine(c.detail)}${c.fix ? `; to fix: ${safeLine(c.fix)}` : ''}`);
  process.exitCode = ok ? EXIT.ok : EXIT.failure;
}
