/**
 * Capture what the real Claude Code CLI shows, reports to its hooks and writes to its transcript when the API
 * refuses it: fixtures for api-trouble.test.ts.
 *
 *   npx tsx test/session/api-trouble/capture.ts [case...]
 *
 * Each case starts the pinned CLI (node_modules/.bin/claude) in tmux, 160×50 as the node runs it, in a trusted
 * git repository and an isolated HOME, against the scripted Messages API answering every request with the
 * case's error (or with no key at all, or with no API listening where the CLI is pointed). The prompt is given on the command line, as the node gives a
 * session's task. Claude Code's retries are capped with CLAUDE_CODE_MAX_RETRIES as the node caps them. Saved in
 * <case>/: the first screen that shows a retry (`retrying.txt`), the screen once the turn has ended
 * (`final.txt`), the StopFailure hook's input (`stop-failure.json`) and the transcript's API error entry
 * (`transcript-error.json`). The suite does not run this script; the tests read what it saved.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_ERRORS, startScriptedApi, type ApiError } from '../../fixtures/messages-api.js';
import { CLAUDE_BIN, FAKE_API_KEY, isolatedHome } from '../../helpers/claude.js';
import { tempDir } from '../../helpers/tmp.js';

const OUT = import.meta.dirname;
const MAX_RETRIES = '3';
const SESSION = '5e55a0e0-0000-4000-8000-00000000c0de';

interface Case {
  name: string;
  error: ApiError | null;
  /** no ANTHROPIC_API_KEY and no login */
  noKey?: boolean;
  /** the CLI is pointed at a port where nothing listens */
  unreachable?: boolean;
}

const CASES: Case[] = [
  { name: 'unauthorized-401', error: API_ERRORS.unauthorized },
  { name: 'rate-limited-429', error: API_ERRORS.rateLimited(1) },
  { name: 'overloaded-529', error: API_ERRORS.overloaded },
  { name: 'not-logged-in', error: null, noKey: true },
  { name: 'unreachable', error: null, unreachable: true },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function capture(c: Case): Promise<void> {
  const dir = join(OUT, c.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const api = await startScriptedApi({ steps: [{ text: 'all done' }], ...(c.error ? { error: c.error } : {}) });
  // port 9 (discard) on loopback: nothing listens there
  const home = await isolatedHome(c.unreachable ? 'http://127.0.0.1:9' : api.url, { preseed: true });
  const t = tempDir('agency-api-trouble-');
  const repo = join(t.path, 'proj');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  const hookLog = join(t.path, 'hooks.jsonl');
  // every event this case can bring, each input on a line of its own
  const hooks = Object.fromEntries(
    ['UserPromptSubmit', 'Notification', 'Stop', 'StopFailure'].map((e) => [
      e,
      [{ hooks: [{ type: 'command', command: `(cat; echo) >> '${hookLog}'` }] }],
    ]),
  );
  writeFileSync(join(home.configDir, 'settings.json'), JSON.stringify({ hooks }));
  writeFileSync(
    join(home.configDir, '.claude.json'),
    JSON.stringify({
      hasCompletedOnboarding: true,
      projects: { [repo]: { hasTrustDialogAccepted: true } },
      customApiKeyResponses: { approved: [FAKE_API_KEY.slice(-20)], rejected: [] },
    }),
  );
  const env: NodeJS.ProcessEnv = { ...home.env, TERM: 'xterm-256color', CLAUDE_CODE_MAX_RETRIES: MAX_RETRIES };
  if (c.noKey) delete env.ANTHROPIC_API_KEY;
  const socket = `agency-api-trouble-${process.pid}`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...a], { encoding: 'utf8' });
  const envArgs = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  try {
    tmux('new-session', '-d', '-x', '160', '-y', '50', '-s', 'cc', '-c', repo);
    tmux(
      'respawn-pane',
      '-k',
      '-t',
      'cc',
      'env',
      '-i',
      ...envArgs,
      CLAUDE_BIN,
      '--session-id',
      SESSION,
      '--',
      'say hello',
    );
    const deadline = Date.now() + 60_000;
    let retrying = false;
    const failed = () => existsSync(hookLog) && readFileSync(hookLog, 'utf8').includes('"StopFailure"');
    while (!failed()) {
      if (Date.now() > deadline) throw new Error(`${c.name}: no StopFailure within 60 s`);
      const screen = tmux('capture-pane', '-p', '-t', 'cc');
      if (!retrying && screen.includes('Retrying in')) {
        writeFileSync(join(dir, 'retrying.txt'), screen);
        retrying = true;
      }
      await sleep(100);
    }
    // the screen settles after the hook has run
    let last = '';
    for (let same = 0; same < 5;) {
      const screen = tmux('capture-pane', '-p', '-t', 'cc');
      same = screen === last ? same + 1 : 0;
      last = screen;
      await sleep(200);
    }
    writeFileSync(join(dir, 'final.txt'), last);
    const stopFailure = readFileSync(hookLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"StopFailure"'))[0]!;
    writeFileSync(join(dir, 'stop-failure.json'), `${JSON.stringify(JSON.parse(stopFailure), null, 2)}\n`);
    const projects = join(home.configDir, 'projects');
    const transcript = readdirSync(projects)
      .map((d) => join(projects, d, `${SESSION}.jsonl`))
      .find((f) => existsSync(f))!;
    const entry = readFileSync(transcript, 'utf8')
      .split('\n')
      .find((l) => l.includes('"isApiErrorMessage":true'))!;
    writeFileSync(join(dir, 'transcript-error.json'), `${JSON.stringify(JSON.parse(entry), null, 2)}\n`);
    const requests = api.requests.filter((r) => r.kind === 'main').length;
    process.stdout.write(`${c.name}: ${requests} requests, retry screen ${retrying ? 'saved' : 'not seen'}\n`);
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await api.close();
    await home.cleanup();
    t.remove();
  }
}

const wanted = process.argv.slice(2);
for (const c of CASES) if (!wanted.length || wanted.includes(c.name)) await capture(c);
