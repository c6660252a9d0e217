/**
 * Drive the real Claude Code CLI in tmux through its dialogs, answering each with the keys the prompt
 * rules give: the harness for capture-screens.ts (which saves every screen as a fixture) and for
 * real-cli.e2e.test.ts. Waits on conditions (a stable screen that shows a dialog or the idle prompt),
 * never on fixed sleeps.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  detectDialog,
  keysFor,
  splitKeys,
  keysForOption,
  keysToSelectByArrows,
  keysToSetChecklist,
  type Detection,
  type DialogOption,
} from '../../../src/session/prompts/index.js';
import { startScriptedApi, type Scenario, type ScriptedApi } from '../../fixtures/messages-api.js';
import { CLAUDE_BIN, isolatedHome, type IsolatedHome } from '../../helpers/claude.js';
import { tempDir } from '../../helpers/tmp.js';

const NOTES_SERVER = join(import.meta.dirname, '..', '..', 'fixtures', 'mcp-notes-server.mjs');

export interface Scene {
  name: string;
  cols: number;
  rows: number;
  /** the scripted model; a function gets the repo's path (tools want absolute paths) */
  scenario: Scenario | ((dir: string) => Scenario);
  /** servers in the repo's .mcp.json (each runs the notes fixture server) */
  mcpServers?: string[];
  /** CLAUDE.md imports a file outside the repo */
  externalImport?: boolean;
  /** raw text of the repo's .claude/settings.json */
  projectSettings?: string;
  /** start in bypassPermissions mode (with IS_SANDBOX=1, which root needs) */
  bypass?: boolean;
  /** false: leave onboarding un-seeded */
  preseed?: boolean;
  /** typed at the first idle prompt */
  prompt?: string;
  /**
   * The operator's part, for an escalated dialog: the option to take (default: the one labelled Yes),
   * or keys to type first (e.g. move the cursor), after which the dialog is looked at again.
   */
  answer?: (d: Detection, seen: number) => number | { keys: string };
  /** answer chosen options with arrows from the cursor and Enter instead of their digit */
  arrows?: boolean;
  /** answer a checklist by ticking exactly these items (Space on each to change, then Enter) */
  checklist?: (o: DialogOption) => boolean;
  /** called at the end, before the repo and HOME are removed (to check what Claude Code saved) */
  onFinish?: (where: { dir: string; home: string; configDir: string }) => void;
  /** after the prompt: the idle screen that ends the turn shows this (default: "all done" or "Interrupted") */
  doneWhen?: RegExp;
  /** default 60 000 */
  timeoutMs?: number;
}

export interface Step {
  lines: string[];
  detection: Detection | null;
  /** what was typed in answer ('' when nothing: the final screen) */
  keys: string;
  /** 'dialog', 'idle' (the prompt was typed), 'final' (idle after the turn, or Claude exited) */
  kind: 'dialog' | 'idle' | 'final';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The idle input box: an empty `❯` line between two rules, and no turn running. */
export function isIdle(lines: readonly string[]): boolean {
  const i = lines.findIndex(
    (l, k) =>
      l.trim() === '❯' && /^─{8,}/.test(lines[k - 1]?.trim() ?? '') && /^─{8,}/.test(lines[k + 1]?.trim() ?? ''),
  );
  return i >= 0 && !lines.some((l) => /esc to interrupt|Waiting…|Running…/.test(l));
}

/** The option labelled "Yes" (the operator approving), else option 1. */
export function approve(d: Detection): number {
  return d.options.find((o) => o.label.toLowerCase() === 'yes')?.n ?? 1;
}

function repo(scene: Scene): { dir: string; remove(): void } {
  const t = tempDir('agency-prompts-repo-');
  const dir = join(t.path, 'proj');
  mkdirSync(dir);
  const git = (...a: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...a], {
      cwd: dir,
      stdio: 'ignore',
    });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'README.md'), 'fixture\n');
  if (scene.mcpServers?.length) {
    const servers = Object.fromEntries(
      scene.mcpServers.map((n) => [n, { command: process.execPath, args: [NOTES_SERVER] }]),
    );
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: servers }, null, 2));
  }
  if (scene.externalImport) {
    const ext = join(t.path, 'external');
    mkdirSync(ext);
    writeFileSync(join(ext, 'shared.md'), 'Shared notes.\n');
    writeFileSync(join(dir, 'CLAUDE.md'), `# Project\n\nSee @${join(ext, 'shared.md')}\n`);
  }
  if (scene.projectSettings !== undefined) {
    mkdirSync(join(dir, '.claude'));
    writeFileSync(join(dir, '.claude', 'settings.json'), scene.projectSettings);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  return { dir, remove: t.remove };
}

/** One tmux server of our own (its own socket), so nothing touches the user's tmux. */
class Tmux {
  readonly socket = `agency-prompts-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private socketPath = '';
  private panePid = 0;
  private run(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }
  start(cols: number, rows: number, cwd: string, argv: string[]): void {
    this.run(['new-session', '-d', '-x', String(cols), '-y', String(rows), '-s', 'cc', '-c', cwd, ...argv]);
    this.run(['set-option', '-t', 'cc', 'remain-on-exit', 'on']);
    const [socketPath = '', pid = '0'] = this.run(['display-message', '-p', '-t', 'cc', '#{socket_path} #{pane_pid}'])
      .trim()
      .split(' ');
    this.socketPath = socketPath;
    this.panePid = Number(pid);
  }
  capture(rows: number): string[] {
    const lines = this.run(['capture-pane', '-p', '-t', 'cc']).split('\n');
    while (lines.length > rows) lines.pop();
    while (lines.length < rows) lines.push('');
    return lines;
  }
  dead(): boolean {
    return this.run(['display-message', '-p', '-t', 'cc', '#{pane_dead}']).trim() === '1';
  }
  type(bytes: string): void {
    this.run(['send-keys', '-t', 'cc', '-l', bytes]);
  }
  /** End the server and wait for Claude (the pane's process: env execs it) to be gone, so that it
   * cannot write into a HOME that is being removed. */
  async kill(): Promise<void> {
    try {
      this.run(['kill-server']);
    } catch {
      /* already gone */
    }
    if (this.socketPath) rmSync(this.socketPath, { force: true });
    const alive = () => {
      try {
        process.kill(this.panePid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let waited = 0; this.panePid > 0 && alive(); waited += 50) {
      if (waited === 5_000) process.kill(this.panePid, 'SIGKILL');
      await sleep(50);
    }
  }
}

/**
 * Run one scene: launch claude in a fresh repo and HOME, then until the turn is over: wait for a
 * stable screen showing a dialog (answer it with keysFor, or for an escalation with the scene's answer)
 * or the idle prompt (type the scene's prompt once). Returns every screen met, in order.
 */
export async function walkScene(scene: Scene, onStep?: (step: Step, index: number) => void): Promise<Step[]> {
  const tmux = new Tmux();
  let api: ScriptedApi | undefined;
  let home: IsolatedHome | undefined;
  let project: { dir: string; remove(): void } | undefined;
  try {
    project = repo(scene);
    api = await startScriptedApi(typeof scene.scenario === 'function' ? scene.scenario(project.dir) : scene.scenario);
    home = await isolatedHome(api.url, { preseed: scene.preseed ?? true, sandbox: scene.bypass ?? false });
    const env = Object.entries({ ...home.env, TERM: 'xterm-256color' }).flatMap(([k, v]) =>
      v === undefined ? [] : [`${k}=${v}`],
    );
    tmux.start(scene.cols, scene.rows, project.dir, [
      'env',
      '-i',
      ...env,
      CLAUDE_BIN,
      ...(scene.bypass ? ['--dangerously-skip-permissions'] : []),
    ]);
    const doneWhen = scene.doneWhen ?? /all done|Interrupted ·/;

    const steps: Step[] = [];
    const seen = new Map<string, number>();
    const deadline = Date.now() + (scene.timeoutMs ?? 60_000);
    const needsPrompt = scene.prompt !== undefined;
    let promptSent = false;
    let handled = '';
    const record = (step: Step) => {
      steps.push(step);
      onStep?.(step, steps.length - 1);
    };
    for (;;) {
      const idleOk = (lines: readonly string[]) => !needsPrompt || !promptSent || lines.some((l) => doneWhen.test(l));
      const { lines, detection } = await settle(tmux, scene.rows, handled, deadline, idleOk);
      const screen = lines.join('\n');
      const over = detection === 'exited' || (detection ? 'fail' in detection.action : !needsPrompt || promptSent);
      if (over) {
        record({ lines, detection: detection === 'exited' ? detectDialog(lines) : detection, keys: '', kind: 'final' });
        scene.onFinish?.({ dir: project.dir, home: home.home, configDir: home.configDir });
        return steps;
      }
      if (detection) {
        const keys = answerKeys(scene, detection, (seen.get(detection.rule) ?? 0) + 1);
        seen.set(detection.rule, (seen.get(detection.rule) ?? 0) + 1);
        if (!keys)
          throw new Error(
            `scene ${scene.name}: rule ${detection.rule} gives nothing to type (${detection.problem ?? JSON.stringify(detection.action)})\n${screen}`,
          );
        record({ lines, detection, keys, kind: 'dialog' });
        await typeOneByOne(tmux, scene.rows, keys, deadline);
      } else {
        record({ lines, detection: null, keys: `${scene.prompt}\r`, kind: 'idle' });
        tmux.type(scene.prompt ?? '');
        await sleep(200); // a paste and its Enter in one write would be taken as a pasted newline
        tmux.type('\r');
        promptSent = true;
      }
      handled = screen;
    }
  } finally {
    await tmux.kill();
    project?.remove();
    await api?.close();
    await home?.cleanup();
  }
}

/**
 * Write keys one at a time, waiting after each (but the last) until the screen shows its effect: a
 * burst such as Up+Enter is read by Claude Code 2.1.197 as Enter on the option selected before the Up.
 */
async function typeOneByOne(tmux: Tmux, rows: number, keys: string, deadline: number): Promise<void> {
  const chunks = splitKeys(keys);
  for (const [i, chunk] of chunks.entries()) {
    const before = tmux.capture(rows).join('\n');
    tmux.type(chunk);
    if (i === chunks.length - 1) return;
    while (tmux.capture(rows).join('\n') === before) {
      if (Date.now() > deadline) throw new Error(`the screen did not change after typing ${JSON.stringify(chunk)}`);
      await sleep(50);
    }
  }
}

function answerKeys(scene: Scene, d: Detection, seen: number): string {
  if ('escalate' in d.action) {
    const a = (scene.answer ?? approve)(d, seen);
    if (typeof a !== 'number') return a.keys;
    return scene.arrows ? keysToSelectByArrows(d.options, a) : keysForOption(d, a);
  }
  if (scene.arrows && d.choice && d.structure === 'options') return keysToSelectByArrows(d.options, d.choice.n);
  if (scene.checklist && d.structure === 'checklist') return keysToSetChecklist(d.options, scene.checklist);
  return keysFor(d);
}

/**
 * Poll the pane until its screen differs from `handled` and has been the same for a moment, and shows
 * a dialog or the idle prompt (at the end of a turn); or until Claude exits.
 */
async function settle(
  tmux: Tmux,
  rows: number,
  handled: string,
  deadline: number,
  idleOk: (lines: readonly string[]) => boolean,
): Promise<{ lines: string[]; detection: Detection | null | 'exited' }> {
  let prev = '';
  let same = 0;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for a dialog or the idle prompt; screen:\n${prev}`);
    const lines = tmux.capture(rows);
    const screen = lines.join('\n');
    same = screen === prev ? same + 1 : 0;
    prev = screen;
    if (screen !== handled && same >= 3) {
      if (tmux.dead()) return { lines, detection: 'exited' };
      const d = detectDialog(lines);
      if (d) return { lines, detection: d };
      if (isIdle(lines) && idleOk(lines)) return { lines, detection: null };
    }
    await sleep(100);
  }
}
