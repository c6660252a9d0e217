// The screen behind a real pseudo-terminal: programs print through the kernel's tty layer (which turns \n
// into \r\n), and a program that asks the terminal a question gets the screen's answer on its stdin.
import { spawn } from 'node-pty';
import type { IPty } from 'node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { HeadlessScreen } from '../../src/terminal/index.js';

const running: { pty: IPty; screen: HeadlessScreen }[] = [];
afterEach(() => {
  for (const { pty, screen } of running.splice(0)) {
    try {
      pty.kill();
    } catch {
      // already gone
    }
    screen.dispose();
  }
});

/** Runs `file args` in a PTY wired to a fresh screen (replies go back into the PTY); resolves when it has exited. */
function run(file: string, args: string[], cols = 40, rows = 6): { screen: HeadlessScreen; exited: Promise<number> } {
  const screen = new HeadlessScreen({ cols, rows });
  const pty = spawn(file, args, {
    cols,
    rows,
    name: 'xterm-256color',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color' },
  });
  running.push({ pty, screen });
  pty.onData((d) => screen.write(d));
  screen.onResponse((r) => pty.write(r));
  const exited = new Promise<number>((resolve) => pty.onExit((e) => resolve(e.exitCode)));
  return { screen, exited };
}

describe('a real PTY', () => {
  it('printf of coloured text lands on the screen with its colours', async () => {
    const { screen, exited } = run('printf', [
      '\\033[1;32mPASS\\033[0m test/a.ts\\n\\033[31mFAIL\\033[0m test/b.ts\\n\\033[38;5;244m2 files\\033[0m\\n',
    ]);
    expect(await exited).toBe(0);
    await screen.flushed();
    expect(screen.lines().slice(0, 4)).toEqual(['PASS test/a.ts', 'FAIL test/b.ts', '2 files', '']);
    expect(screen.styledLines()[0]).toEqual([
      { text: 'PASS', width: 4, style: { fg: 2, bold: true } },
      { text: ' test/a.ts', width: 10, style: {} },
    ]);
    expect(screen.styledLines()[1]![0]).toEqual({ text: 'FAIL', width: 4, style: { fg: 1 } });
    expect(screen.styledLines()[2]![0]).toEqual({ text: '2 files', width: 7, style: { fg: 244 } });
    expect(screen.cursor()).toEqual({ x: 0, y: 3, visible: true });
  });

  it('a program that asks for the cursor position gets the answer through the PTY', async () => {
    const script = 'printf "\\033[3;7H\\033[6n"; IFS= read -rs -d R reply; printf "\\r\\nreply=%s\\n" "${reply#*[}"';
    const { screen, exited } = run('bash', ['--norc', '--noprofile', '-c', script]);
    expect(await exited).toBe(0);
    await screen.flushed();
    expect(screen.lines()).toContain('reply=3;7');
  });

  it('a hostile program gets no answer to a title report and its title comes out clean', async () => {
    // asks for its title back, then for the cursor position: replies come in order, so whatever arrives
    // before the CPR's final R would be the title report
    const script =
      'printf "\\033]0;x\\033[31m\\a\\033[21t\\033[6n"; IFS= read -rs -d R got; printf "\\033[0m\\r\\ngot=%q\\n" "$got"';
    const { screen, exited } = run('bash', ['--norc', '--noprofile', '-c', script]);
    expect(await exited).toBe(0);
    await screen.flushed();
    expect(screen.lines()).toContain("got=$'\\E[1;1'");
    expect(screen.title()).toBe('x');
  });
});
