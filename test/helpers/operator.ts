/**
 * An operator's machine for tests of the first-run commands: a HOME of its own with no key, no Claude Code
 * login and no git identity unless a test gives them; the agency CLI run without blocking this process
 * (a node may be serving from here); a port nothing listens on; an SSH key pair.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AGENCY_BIN } from './agency.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Variables that would bring the tester's own key, login, identity or configuration in. */
const PRIVATE = /^(ANTHROPIC_|CLAUDE_|CLAUDECODE$|AGENCY_|GIT_|XDG_CONFIG_HOME$|SSH_AUTH_SOCK$|EMAIL$)/;

/** The environment of a user whose home is `home`, with agency's files under it; `extra` on top. */
export function operatorEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!PRIVATE.test(k)) env[k] = v;
  mkdirSync(home, { recursive: true });
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    AGENCY_CONFIG: join(home, '.config', 'agency', 'config.json'),
    AGENCY_HOME: join(home, '.agency'),
    ...extra,
  };
}

/** `agency …` in a child process, resolved when it ends; stdin closed (no terminal). */
export function agencyAsync(args: string[], env: NodeJS.ProcessEnv, cwd?: string, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [AGENCY_BIN, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`agency ${args.join(' ')} did not end in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port on 127.0.0.1 that nothing listens on: bound by the system, then let go. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** An ed25519 key pair without a passphrase at `path` (and `path.pub`). */
export function sshKey(path: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'agency-test', '-f', path]);
  return path;
}
