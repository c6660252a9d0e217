/**
 * Run the real Claude Code CLI (the pinned devDependency) for tests, isolated from the user's own
 * ~/.claude, ~/.claude.json and any ANTHROPIC_ / CLAUDE_ variables of the calling environment.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const CLAUDE_BIN: string = join(REPO_ROOT, 'node_modules', '.bin', 'claude');

/** A fake key; its last 20 characters are what ~/.claude.json stores when a key is approved. */
export const FAKE_API_KEY = 'sk-ant-api03-test-0000000000000000000000000000000000000000-agencyTESTKEY';

export interface IsolatedHome {
  home: string;
  configDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export interface IsolatedHomeOptions {
  /** write `hasCompletedOnboarding: true` to $CLAUDE_CONFIG_DIR/.claude.json (default true). Trust is never seeded. */
  preseed?: boolean;
  /** set IS_SANDBOX=1 so bypassPermissions works as root (default false) */
  sandbox?: boolean;
}

/** Variables of the calling environment that would leak a real account, a parent session or its settings. */
function inheritedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(ANTHROPIC_|CLAUDE_|CLAUDECODE$|MCP_|OTEL_|IS_SANDBOX$|DISABLE_|XDG_CONFIG_HOME$|GIT_)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/**
 * A fresh HOME (and CLAUDE_CONFIG_DIR = $HOME/.claude) so tests never touch the real ~/.claude.
 * env has ANTHROPIC_BASE_URL, a fake ANTHROPIC_API_KEY, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1,
 * DISABLE_AUTOUPDATER=1, a git identity, and IS_SANDBOX=1 only if asked.
 */
export async function isolatedHome(apiUrl: string, opts: IsolatedHomeOptions = {}): Promise<IsolatedHome> {
  const home = await mkdtemp(join(tmpdir(), 'agency-home-'));
  const configDir = join(home, '.claude');
  await mkdir(configDir, { recursive: true });
  await mkdir(join(home, '.config'), { recursive: true });
  if (opts.preseed ?? true) {
    await writeFile(join(configDir, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }, null, 2) + '\n');
  }
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: FAKE_API_KEY,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    GIT_AUTHOR_NAME: 'agency-test',
    GIT_AUTHOR_EMAIL: 'agency-test@example.invalid',
    GIT_COMMITTER_NAME: 'agency-test',
    GIT_COMMITTER_EMAIL: 'agency-test@example.invalid',
  };
  if (opts.sandbox) env.IS_SANDBOX = '1';
  return {
    home,
    configDir,
    env,
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/** One stream-json event: untyped JSON as the CLI prints it (shapes in claude-code-facts.md §7.1). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StreamEvent = any;

export interface PrintRun {
  code: number | null;
  events: StreamEvent[];
  stderr: string;
  /** the system/init event, if any */
  init: StreamEvent;
  /** the result event, if any */
  result: StreamEvent;
}

export interface PrintOptions {
  cwd: string;
  prompt: string;
  env: NodeJS.ProcessEnv;
  args?: string[];
  /** default 30 000 */
  timeoutMs?: number;
  /** called with each parsed event as it arrives (e.g. to time or react to system/init) */
  onEvent?: (event: StreamEvent) => void;
}

/**
 * `claude -p <prompt> --output-format stream-json --verbose [...args]` in cwd, stdin closed.
 * The prompt goes first so variadic flags in args (--allowedTools, --add-dir…) cannot swallow it.
 * Parses NDJSON events from stdout; kills the whole process group and rejects after timeoutMs.
 */
export function runClaudePrint(opts: PrintOptions): Promise<PrintRun> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const argv = ['-p', opts.prompt, '--output-format', 'stream-json', '--verbose', ...(opts.args ?? [])];
  return new Promise<PrintRun>((resolvePromise, reject) => {
    const child = spawn(CLAUDE_BIN, argv, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout also ends hooks, MCP servers and Bash children
    });
    const events: StreamEvent[] = [];
    let stdoutBuf = '';
    let stderr = '';
    let settled = false;

    const parseLine = (line: string): void => {
      const t = line.trim();
      if (!t) return;
      let ev: StreamEvent;
      try {
        ev = JSON.parse(t);
      } catch {
        ev = { type: 'unparsed', line: t };
      }
      events.push(ev);
      opts.onEvent?.(ev);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdoutBuf += d;
      let nl: number;
      while ((nl = stdoutBuf.indexOf('\n')) >= 0) {
        parseLine(stdoutBuf.slice(0, nl));
        stdoutBuf = stdoutBuf.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));

    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      killGroup('SIGKILL');
      const last = events
        .slice(-3)
        .map((e) => JSON.stringify(e).slice(0, 300))
        .join('\n');
      reject(
        new Error(`claude -p timed out after ${timeoutMs} ms in ${opts.cwd}\nstderr: ${stderr}\nlast events:\n${last}`),
      );
    }, timeoutMs);

    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`could not start ${CLAUDE_BIN}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      parseLine(stdoutBuf);
      killGroup('SIGKILL'); // stray grandchildren (e.g. a hung MCP server) must not outlive the run
      resolvePromise({
        code,
        events,
        stderr,
        init: events.find((e) => e?.type === 'system' && e.subtype === 'init'),
        result: events.find((e) => e?.type === 'result'),
      });
    });
  });
}
