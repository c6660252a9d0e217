/**
 * The OS notification, through stand-ins for notify-send and osascript on PATH that record the arguments they
 * were given: title and text as arguments (never a shell, never script), cleaned of what a terminal or a
 * notification server would obey, bounded, and never taken for an option.
 */
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OsNotifier, osNotifyCommand } from '../../src/notify/os-notify.js';
import { cleanLine, MAX_TEXT, MAX_TITLE } from '../../src/notify/text.js';
import { hasUnsafe } from '../../src/protocol/safe-text.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** A folder for PATH holding `name`, which records its arguments (NUL-separated) in a file per call. */
function standIn(name: string): { path: string; calls: () => string[][] } {
  const dir = mkdtempSync(join(tmpdir(), 'agency-os-'));
  dirs.push(dir);
  const rec = join(dir, 'calls');
  const script = join(dir, name);
  writeFileSync(script, `#!/bin/sh\n/bin/mkdir -p '${rec}'\nprintf '%s\\0' "$@" > '${rec}'/$$\n`);
  chmodSync(script, 0o755);
  return {
    path: dir,
    calls: () => {
      let files: string[];
      try {
        files = readdirSync(rec);
      } catch {
        return [];
      }
      return files.map((f) => readFileSync(join(rec, f), 'utf8').split('\0').slice(0, -1));
    },
  };
}

const HOSTILE_TITLE = `-\x1b]0;owned\x07agency: s-1\u202e on\u200b node\r\n${'x'.repeat(500)}`;
const HOSTILE_TEXT = `--help <b>bold</b> & <a href="file:///etc/passwd">x</a>\x1b[2J\x9b31m\tdone\u2028${'y'.repeat(5000)}`;

describe('the OS notification', () => {
  it('runs notify-send on Linux with title and text as its last arguments, after --', async () => {
    const s = standIn('notify-send');
    const reports: string[] = [];
    const n = new OsNotifier({
      platform: 'linux',
      env: { PATH: s.path, GH_TOKEN: 'ghp_x' },
      report: (m) => reports.push(m),
    });
    n.send('agency: s-1 on studio-01 needs you', 'Bash: cp README.md copy.md');
    await n.settled();
    expect(reports).toEqual([]);
    expect(s.calls()).toEqual([
      ['--app-name=agency', '--', 'agency: s-1 on studio-01 needs you', 'Bash: cp README.md copy.md'],
    ]);
  });

  it('runs osascript on macOS with a fixed script that takes title and text as its arguments', async () => {
    const s = standIn('osascript');
    const n = new OsNotifier({ platform: 'darwin', env: { PATH: s.path }, report: () => undefined });
    n.send('agency: "quoted" \\ title', 'text" & do shell script "id');
    await n.settled();
    const [call] = s.calls();
    expect(call).toEqual([
      '-e',
      'on run argv',
      '-e',
      'display notification (item 2 of argv) with title (item 1 of argv)',
      '-e',
      'end run',
      'agency: "quoted" \\ title',
      'text" & do shell script "id',
    ]);
  });

  it('cleans hostile text: no control or bidi characters, one line, bounded, not an option, markup escaped', async () => {
    const s = standIn('notify-send');
    const n = new OsNotifier({ platform: 'linux', env: { PATH: s.path }, report: () => undefined });
    n.send(HOSTILE_TITLE, HOSTILE_TEXT);
    await n.settled();
    const [call] = s.calls();
    const [, , title, text] = call!;
    for (const x of [title!, text!]) {
      expect(hasUnsafe(x)).toBe(false);
      expect(x).not.toMatch(/[\u200b\u202e\n\r\t]/);
      expect(x.startsWith('-')).toBe(false);
    }
    expect(Array.from(title!).length).toBeLessThanOrEqual(MAX_TITLE + 1);
    // the escape and bell go; what was between them is plain text now
    expect(title).toMatch(/^ -\]0;ownedagency: s-1 on node x+…$/);
    expect(text).toMatch(/^ --help &lt;b&gt;bold&lt;\/b&gt; &amp; &lt;a href="file:\/\/\/etc\/passwd"&gt;x&lt;\/a&gt;/);
    expect(text!.length).toBeLessThan(MAX_TEXT * 2);
    // the title's markup is escaped too
    expect(osNotifyCommand('linux', '<b>s-1</b> & <i>x</i>', 'y')!.args[2]).toBe(
      '&lt;b&gt;s-1&lt;/b&gt; &amp; &lt;i&gt;x&lt;/i&gt;',
    );
    // the macOS arguments are cleaned the same way (osascript shows no markup: none escaped)
    const mac = osNotifyCommand('darwin', HOSTILE_TITLE, HOSTILE_TEXT)!;
    expect(mac.args.at(-1)).toBe(` ${cleanLine(HOSTILE_TEXT, MAX_TEXT)}`);
    expect(mac.args.slice(-2).every((a) => !hasUnsafe(a))).toBe(true);
  });

  it('says once that notify-send is missing, and what to do', async () => {
    const reports: string[] = [];
    const empty = mkdtempSync(join(tmpdir(), 'agency-os-'));
    dirs.push(empty);
    const n = new OsNotifier({ platform: 'linux', env: { PATH: empty }, report: (m) => reports.push(m) });
    n.send('a', 'b');
    n.send('c', 'd');
    await n.settled();
    expect(reports).toEqual([
      'notify-send was not found on PATH, so no OS notification is shown (install libnotify: libnotify-bin on Debian and Ubuntu); set notify.os to false to say nothing',
    ]);
    expect(osNotifyCommand('win32', 'a', 'b')).toBeNull();
  });

  it('a notify-send that fails is said once', async () => {
    const s = standIn('notify-send');
    writeFileSync(
      join(s.path, 'notify-send'),
      '#!/bin/sh\necho "Cannot autolaunch D-Bus without X11 $DISPLAY" >&2\nexit 1\n',
    );
    const reports: string[] = [];
    const n = new OsNotifier({ platform: 'linux', env: { PATH: s.path }, report: (m) => reports.push(m) });
    n.send('a', 'b');
    n.send('c', 'd');
    await n.settled();
    expect(reports).toEqual([
      'the OS notification failed (exit 1: Cannot autolaunch D-Bus without X11); this is said once until it works again',
    ]);
  });
});
