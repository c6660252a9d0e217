/** The real `agency tui` in a real terminal: a private tmux server, keys in, the screen out. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AGENCY_BIN } from './agency.js';
import { until as waitFor } from './until.js';

export interface Tmux {
  /** the private server's socket name (`tmux -L <socket>`) */
  readonly socket: string;
  start(script: string): void;
  keys(...keys: string[]): void;
  literal(text: string): void;
  screen(): string;
  /** the pid of the program the pane's shell runs */
  pid(): number;
  /** tmux's own view of the terminal modes: `<alternate screen on> <cursor shown>` */
  modes(): string;
  /** the pane's title, as a program may set it with OSC 0 or 2 */
  title(): string;
  /** the window's new size, as a terminal window resized by its user */
  resize(columns: number, rows: number): void;
  kill(): void;
}

/**
 * A private tmux server running one command in a window of the given size (160×48 unless said), with no
 * configuration file unless one is given (`config`: its text).
 */
export function tmux(
  name: string,
  size: { columns: number; rows: number } = { columns: 160, rows: 48 },
  config?: string,
): Tmux {
  const sock = `agency-tui-${process.pid}-${name}`;
  const t = (...args: string[]) => execFileSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
  return {
    socket: sock,
    start: (script) => {
      let file = '/dev/null';
      if (config !== undefined) {
        file = join(dirname(script), `tmux-${name}.conf`);
        writeFileSync(file, config);
      }
      t(
        '-f',
        file,
        'new-session',
        '-d',
        '-s',
        'main',
        '-x',
        String(size.columns),
        '-y',
        String(size.rows),
        `sh ${script}`,
      );
    },
    keys: (...keys) => void t('send-keys', '-t', 'main', ...keys),
    literal: (text) => void t('send-keys', '-t', 'main', '-l', text),
    screen: () => t('capture-pane', '-p', '-t', 'main'),
    pid: () => {
      const sh = t('display-message', '-p', '-t', 'main', '#{pane_pid}').trim();
      return Number(readFileSync(`/proc/${sh}/task/${sh}/children`, 'utf8').trim().split(/\s+/)[0]);
    },
    modes: () => t('display-message', '-p', '-t', 'main', '#{alternate_on} #{cursor_flag}').trim(),
    title: () => t('display-message', '-p', '-t', 'main', '#{pane_title}').trim(),
    resize: (columns, rows) => void t('resize-window', '-t', 'main', '-x', String(columns), '-y', String(rows)),
    kill: () => {
      spawnSync('tmux', ['-L', sock, 'kill-server']);
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, sock), { force: true });
    },
  };
}

/** Waits for a condition (the screen, a status); on timeout, the error shows the screen. */
export function until(what: string, check: () => boolean | Promise<boolean>, t: Tmux, ms = 30_000): Promise<void> {
  return waitFor(
    what,
    check,
    ms,
    () => `the screen:
${t.screen()}`,
  );
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A shell script that runs the built `agency tui` in the given environment (tmux's own TERM kept), then
 * says how it ended and stays, so that the terminal's state after it can be read.
 */
export function tuiScript(env: NodeJS.ProcessEnv, dir: string, cwd: string): string {
  const vars = Object.entries(env).filter(
    ([k, v]) =>
      v !== undefined &&
      !['TERM', 'TMUX', 'TMUX_PANE', 'COLUMNS', 'LINES'].includes(k) &&
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(k),
  );
  const script = join(dir, 'tui.sh');
  writeFileSync(
    script,
    `${vars.map(([k, v]) => `export ${k}=${shellQuote(v!)}`).join('\n')}\ncd ${shellQuote(cwd)}\n${shellQuote(process.execPath)} ${shellQuote(AGENCY_BIN)} tui\necho "tui exited $?"\nexec sleep 600\n`,
  );
  return script;
}

/** A node's tile on the fleet view: its name, then what follows it on the tile's first line (`1 live`). */
export const tile = (name: string, what: string) => new RegExp(`\\b${name}\\s+${what}`);

/**
 * From the fleet view: filters the fleet down to `node`, opens it, then opens its session in focus, and waits
 * until the pane of `session` shows `text`.
 */
export async function openPane(t: Tmux, node: string, session: string, text: string): Promise<void> {
  t.keys('/');
  await until(
    'the filter line',
    () =>
      t
        .screen()
        .split('\n')
        .some((l) => l.startsWith(' filter:')),
    t,
  );
  t.literal(node);
  // a key sent in the same read as typed text would be taken as text: wait until the text shows
  await until('the filter typed', () => t.screen().includes(`filter: ${node}`), t);
  t.keys('Enter');
  await until(`only ${node} shown`, () => (t.screen().match(/\S\s+\d+ live/g) ?? []).length === 1, t);
  t.keys('Enter');
  await until('the node view', () => t.screen().includes(`fleet › ${node}`), t);
  t.keys('Enter');
  await until(
    `the pane of ${session}`,
    () => t.screen().includes(`fleet › ${node} › ${session}`) && t.screen().includes(text),
    t,
  );
}
