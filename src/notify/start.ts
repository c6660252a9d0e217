/**
 * Telling the operator, set up from their settings: the notifier watching the fleet, the OS notification and
 * their command as the settings say, and what went wrong with either said where they will see it.
 */
import { NotifyCommand } from './command.js';
import type { Notice } from './notice.js';
import { Notifier, type Channels, type FleetEvents } from './notifier.js';
import { OsNotifier } from './os-notify.js';
import type { CoalesceOptions } from './coalesce.js';

/** The operator's `notify` settings, resolved. */
export interface NotifySettings {
  /** the desktop notification, away from the cockpit */
  os: boolean;
  /** the operator's command, run away from the cockpit; null: none */
  command: string | null;
}

export interface StartOptions extends Pick<CoalesceOptions, 'keep'> {
  settings: NotifySettings;
  /** whether the operator is away from the cockpit */
  away: () => boolean;
  /** rings the bell (a running cockpit, when its operator has it on): whether it rang */
  bell?: () => boolean;
  /** what went wrong with a channel, said once */
  report: (message: string) => void;
  /** tell the decisions open at the start */
  tellOpen: boolean;
  told?: (n: Notice) => void;
  env?: NodeJS.ProcessEnv;
}

export interface Notifying {
  stop(): void;
  /** resolves when no notification program runs */
  settled(): Promise<void>;
}

export function startNotifying(fleet: FleetEvents, o: StartOptions): Notifying {
  const os = o.settings.os ? new OsNotifier({ report: o.report, ...(o.env ? { env: o.env } : {}) }) : null;
  const command = o.settings.command
    ? new NotifyCommand(o.settings.command, { report: o.report, ...(o.env ? { env: o.env } : {}) })
    : null;
  const channels: Channels = {
    away: o.away,
    os,
    command,
    ...(o.bell ? { bell: o.bell } : {}),
    ...(o.told ? { told: o.told } : {}),
  };
  const notifier = new Notifier({ channels, tellOpen: o.tellOpen, ...(o.keep ? { keep: o.keep } : {}) });
  notifier.watch(fleet).catch((e: unknown) => o.report(`notifications stopped: ${(e as Error).message}`));
  return {
    stop: () => notifier.stop(),
    settled: async () => {
      await Promise.all([os?.settled(), command?.settled()]);
    },
  };
}
