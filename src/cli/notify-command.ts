/**
 * `agency notify`: tells the operator of what needs them while no cockpit does: watches the fleet, shows an
 * OS notification and runs the operator's notify command for each decision waiting, budget warned, stopped or
 * refused, session failed and node lost (coalesced), and prints each on stdout. It stays quiet about a node
 * only while a running `agency tui` that watches it tells of it itself: its bell on at a focused terminal, or
 * the OS notification or the command while its terminal is not focused. It never starts a node: a local node
 * not running is waited for. Also the notifications of `agency tui` itself, wired here from the operator's
 * config.
 */
import { loadConfig, type OperatorConfig } from '../config/config.js';
import type { Notice } from '../notify/notice.js';
import { livePresences, markPresence, toldByCockpit } from '../notify/presence.js';
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
      mark = markPresence({
        nodes: ctx.nodes,
        focused: ctx.focus.reported(),
        bell: ctx.bell.on(),
        away: settings.os || settings.command !== null,
      });
    } catch (e) {
      ctx.say(`agency notify cannot see this cockpit, and may tell of what it shows: ${(e as Error).message}`);
    }
    const stopFocus = ctx.focus.subscribe(() => mark?.update({ focused: ctx.focus.reported() }));
    const stopBell = ctx.bell.subscribe(() => mark?.update({ bell: ctx.bell.on() }));
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
      stopBell();
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
  // a watcher never starts a node: one it started would live in its service's cgroup, and die with it
  await withCockpit({ start: false, live: true, ...(o.node?.length ? { nodes: o.node } : {}) }, async (c) => {
    warn(
      `agency notify: watching ${c.links.map((l) => l.name).join(', ')}${settings.os ? '; OS notifications' : ''}${
        settings.command ? '; the notify command' : ''
      } (quiet about the nodes a running agency tui watches while it tells of them itself)`,
    );
    for (const l of c.links) {
      const st = l.status();
      if (st.state !== 'up')
        warn(
          `agency notify: ${l.name} is ${st.state}${st.error ? ` (${printable(st.error)})` : ''}; waiting for it (agency notify starts no node)`,
        );
    }
    startNotifying(c, {
      settings,
      away: () => true,
      // a running cockpit that tells of a node itself now
      keep: (n) => !toldByCockpit(n.node, livePresences()),
      report: (m) => warn(`agency notify: ${m}`),
      tellOpen: true,
      told: (n) => say(noticeLine(n)),
    });
    await new Promise<never>(() => undefined);
  });
}
