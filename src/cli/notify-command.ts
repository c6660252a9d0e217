/**
 * `agency notify`: tells the operator of what needs them while no cockpit does: watches the fleet, shows an
 * OS notification and runs the operator's notify command for each decision waiting, budget warned, stopped or
 * refused, session failed and node lost (coalesced), and prints each on stdout. It stays quiet about the nodes
 * a running `agency tui` watches: that cockpit rings its bell, and tells the same way when its terminal is not
 * focused. Also the notifications of `agency tui` itself, wired here from the operator's config.
 */
import { loadConfig, type OperatorConfig } from '../config/config.js';
import type { Notice } from '../notify/notice.js';
import { livePresences, markPresence, watchedByCockpit } from '../notify/presence.js';
import { startNotifying, type NotifySettings } from '../notify/start.js';
import type { TuiNotices } from '../tui/run.js';
import { EXIT, printable, say, UserError, warn } from './output.js';
import { withCockpit } from './with-cockpit.js';

/** The config's `notify`: OS notifications on unless turned off; the command when one is set. */
export function notifySettings(config: () => OperatorConfig = loadConfig): NotifySettings {
  const n = config().notify;
  return { os: n?.os ?? true, command: n?.command ?? null };
}

/**
 * The cockpit's notifications: the bell (as the operator has it), and when its terminal is not focused the OS
 * notification and the command; its presence and focus marked for `agency notify`.
 */
export function tuiNotices(settings: NotifySettings): TuiNotices {
  return (ctx) => {
    let mark: ReturnType<typeof markPresence> | null = null;
    try {
      mark = markPresence({ nodes: ctx.nodes, focused: ctx.focus.reported() });
    } catch (e) {
      ctx.say(`agency notify cannot see this cockpit, and may tell of what it shows: ${(e as Error).message}`);
    }
    const stopFocus = ctx.focus.subscribe(() => mark?.focus(ctx.focus.reported()));
    const running = startNotifying(ctx.fleet, {
      settings,
      away: () => !ctx.focus.focused(),
      bell: ctx.ring,
      report: ctx.say,
      tellOpen: false,
    });
    return () => {
      running.stop();
      stopFocus();
      mark?.clear();
    };
  };
}

function noticeLine(n: Notice): string {
  return printable(`${n.title.replace(/^agency: /, '')}: ${n.text}`);
}

export async function notify(o: { node?: string[] }): Promise<void> {
  const settings = notifySettings();
  if (!settings.os && !settings.command)
    throw new UserError(
      'agency notify has nothing to tell through: notify.os is false and notify.command is not set in the config; set either',
      EXIT.usage,
    );
  await withCockpit({ start: true, live: true, ...(o.node?.length ? { nodes: o.node } : {}) }, async (c) => {
    warn(
      `agency notify: watching ${c.links.map((l) => l.name).join(', ')}${settings.os ? '; OS notifications' : ''}${
        settings.command ? '; the notify command' : ''
      } (quiet about the nodes a running agency tui watches)`,
    );
    startNotifying(c, {
      settings,
      away: () => true,
      // a running cockpit tells of its nodes itself
      keep: (n) => !watchedByCockpit(n.node, livePresences()),
      report: (m) => warn(`agency notify: ${m}`),
      tellOpen: true,
      told: (n) => say(noticeLine(n)),
    });
    await new Promise<never>(() => undefined);
  });
}
