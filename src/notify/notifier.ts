/**
 * The notifier: the cockpit's events → what is worth telling → coalesced rounds → the channels. The terminal
 * bell rings once a round (a cockpit that runs, when its operator has it on); the OS notification and the
 * operator's command are for an operator away from the cockpit: its terminal not focused, or no cockpit at all.
 */
import type { CockpitEvent, FleetSnapshot } from '../cockpit/client.js';
import { Coalescer, type CoalesceOptions } from './coalesce.js';
import type { NotifyCommand } from './command.js';
import type { Notice } from './notice.js';
import type { OsNotifier } from './os-notify.js';
import { WorthTelling, type WorthOptions } from './worth.js';

export interface Channels {
  /** rings the terminal bell (a cockpit that runs), when it is on: whether it rang */
  bell?: () => boolean;
  /** whether the operator is away from the cockpit: the OS notification and the command are for then */
  away: () => boolean;
  os?: Pick<OsNotifier, 'send'> | null;
  command?: Pick<NotifyCommand, 'run'> | null;
  /** every notice told, whichever channels it went to (one no channel carried is not told) */
  told?: (n: Notice) => void;
}

export interface NotifierOptions extends CoalesceOptions, WorthOptions {
  channels: Channels;
}

/** What a notifier watches: a Cockpit's status and events. */
export interface FleetEvents {
  status(): Promise<FleetSnapshot>;
  watch(f: (e: CockpitEvent) => void, opts?: { after?: FleetSnapshot }): void;
}

export class Notifier {
  private readonly coalescer: Coalescer;
  private readonly worth: WorthTelling;
  private stopped = false;

  constructor(o: NotifierOptions) {
    this.coalescer = new Coalescer((round) => this.deliver(round, o.channels), o);
    this.worth = new WorthTelling(this.coalescer, o);
  }

  /** Starts watching: what is there now, then every event, until stop(). */
  async watch(fleet: FleetEvents): Promise<void> {
    const snap = await fleet.status();
    if (this.stopped) return;
    this.prime(snap);
    fleet.watch((e) => this.take(e), { after: snap });
  }

  prime(snap: FleetSnapshot): void {
    if (!this.stopped) this.worth.prime(snap);
  }

  take(e: CockpitEvent): void {
    if (!this.stopped) this.worth.take(e);
  }

  /** How many notices wait for their round. */
  get waiting(): number {
    return this.coalescer.waiting;
  }

  stop(): void {
    this.stopped = true;
    this.coalescer.stop();
  }

  /** Tells the round through the channels there are now; whether any carried it. */
  private deliver(round: Notice[], ch: Channels): boolean {
    const rang = ch.bell?.() ?? false;
    const away = ch.away() && !!(ch.os || ch.command);
    if (!rang && !away) return false;
    for (const n of round) {
      if (away) {
        ch.os?.send(n.title, n.text);
        ch.command?.run(n);
      }
      ch.told?.(n);
    }
    return true;
  }
}
