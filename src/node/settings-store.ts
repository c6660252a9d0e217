/**
 * The budgets, rate limits and model routing the operator's config gives the node (`settings-apply`): kept in
 * `~/.agency/settings.json`, read back and checked at start (a file that does not hold is a warning, and the
 * node runs with none), and reported by hash in the node's info so the operator's side sends them only when
 * they changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeSettingsSchema, settingsHash, type NodeSettings } from '../protocol/economics.js';
import type { NodeInfo } from '../protocol/messages.js';
import { writeFileAtomic } from './atomic-file.js';
import { warnOperator } from './warnings.js';

export const SETTINGS_FILE = 'settings.json';

export class NodeSettingsStore {
  private settings: NodeSettings = {};
  private readonly listeners = new Set<(s: NodeSettings) => void>();

  constructor(
    private readonly o: {
      home: string;
      info: NodeInfo;
      /** the node's info changed: its watchers are told */
      onChange?: () => void;
    },
  ) {}

  private get file(): string {
    return join(this.o.home, SETTINGS_FILE);
  }

  /** Reads what was applied before; a file that does not hold is set aside as a warning. */
  load(): void {
    if (!existsSync(this.file)) return;
    try {
      const r = nodeSettingsSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      if (!r.success) throw new Error(r.error.issues[0]!.message);
      this.take(r.data, false);
    } catch (e) {
      warnOperator(
        this.o.info,
        `${this.file} cannot be used (${(e as Error).message}): the node runs with no budgets, rate limits or model routing until the operator's next command sends them`,
      );
    }
  }

  current(): NodeSettings {
    return this.settings;
  }

  /** Replaces the node's settings (already checked against the op's schema). */
  apply(s: NodeSettings): { settings: string } {
    writeFileAtomic(this.file, `${JSON.stringify(s, null, 2)}\n`);
    this.take(s, true);
    return { settings: this.o.info.settings! };
  }

  onChange(f: (s: NodeSettings) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private take(s: NodeSettings, tell: boolean): void {
    this.settings = s;
    this.o.info.settings = settingsHash(s);
    for (const f of this.listeners) f(s);
    if (tell) this.o.onChange?.();
  }
}
