/**
 * The operator's desktop notification: `notify-send` on Linux, `osascript` on macOS. Title and text are
 * passed as arguments (never through a shell, never spliced into a script), cleaned and bounded first.
 */
import { findProgram } from '../paths/find-program.js';
import { withoutSecrets } from '../protocol/secret-env.js';
import { BoundedRunner, type BoundedOptions, type Launch } from './processes.js';
import { cleanLine, MAX_TEXT, MAX_TITLE } from './text.js';

/** An argument that begins with `-` would be read as an option: it begins with a space instead. */
const notOption = (s: string) => (s.startsWith('-') ? ` ${s}` : s);

/** notify-send's title and body may be read as markup by the notification server: markup characters are escaped. */
const markupEscaped = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The AppleScript takes title and text as its arguments (`on run argv`), so that neither is ever script. */
const APPLESCRIPT = ['on run argv', 'display notification (item 2 of argv) with title (item 1 of argv)', 'end run'];

/** The program and arguments that show a notification on this platform; null where agency knows none. */
export function osNotifyCommand(
  platform: NodeJS.Platform,
  title: string,
  text: string,
): { file: string; args: string[] } | null {
  const t = notOption(cleanLine(title, MAX_TITLE));
  const x = notOption(cleanLine(text, MAX_TEXT));
  if (platform === 'darwin') return { file: 'osascript', args: [...APPLESCRIPT.flatMap((l) => ['-e', l]), t, x] };
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd')
    return { file: 'notify-send', args: ['--app-name=agency', '--', markupEscaped(t), markupEscaped(x)] };
  return null;
}

export interface OsNotifierOptions extends BoundedOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** a failure, said once */
  report: (message: string) => void;
}

export class OsNotifier {
  private readonly runner: BoundedRunner;
  private readonly platform: NodeJS.Platform;
  private readonly env: NodeJS.ProcessEnv;
  private missing = false;

  constructor(private readonly o: OsNotifierOptions) {
    this.platform = o.platform ?? process.platform;
    this.env = withoutSecrets(o.env ?? process.env);
    this.runner = new BoundedRunner('the OS notification', o.report, o);
  }

  send(title: string, text: string): void {
    const c = osNotifyCommand(this.platform, title, text);
    if (!c) {
      if (!this.missing) this.o.report(`agency knows no OS notification on ${this.platform}; set notify.os to false`);
      this.missing = true;
      return;
    }
    const file = findProgram(c.file, this.env.PATH ?? '');
    if (!file) {
      if (!this.missing)
        this.o.report(
          `${c.file} was not found on PATH, so no OS notification is shown${
            c.file === 'notify-send' ? ' (install libnotify: libnotify-bin on Debian and Ubuntu)' : ''
          }; set notify.os to false to say nothing`,
        );
      this.missing = true;
      return;
    }
    this.missing = false;
    const launch: Launch = { file, args: c.args, env: this.env };
    this.runner.run(launch);
  }

  settled(): Promise<void> {
    return this.runner.settled();
  }
}
