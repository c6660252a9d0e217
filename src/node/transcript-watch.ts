/**
 * Hears a session's transcript folders change, so that a new line is read within milliseconds instead of at
 * the next poll (the poll stays, for what a watch misses). A folder that does not exist yet is waited for by
 * watching the nearest folder above it that does, up to Claude Code's config folder. Changes are gathered for
 * a few milliseconds into one call.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

const GATHER_MS = 15;

class FolderWatch {
  private watcher: FSWatcher | null = null;
  /** the folder watched: the target, or the nearest one above it that exists */
  private at = '';
  private closed = false;

  constructor(
    private readonly target: string,
    private readonly top: string,
    private readonly changed: () => void,
  ) {
    this.place();
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
  }

  private place(): void {
    if (this.closed) return;
    let dir = this.target;
    while (dir !== this.top && !existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    if (dir === this.at && this.watcher) return;
    this.watcher?.close();
    this.watcher = null;
    this.at = dir;
    try {
      const w = watch(dir, { persistent: false }, () => {
        if (dir === this.target) this.changed();
        else if (existsSync(this.target)) {
          this.place();
          this.changed();
        } else this.place();
      });
      // a folder removed or unreadable: the poll still reads what there is
      w.on('error', () => {
        if (this.watcher === w) this.watcher = null;
        w.close();
      });
      this.watcher = w;
    } catch {
      this.watcher = null;
    }
  }
}

/** Watches folders (each, or the nearest existing folder above it under `top`) and calls `changed`, gathered. */
export class TranscriptWatch {
  private readonly folders: FolderWatch[];
  private timer: NodeJS.Timeout | null = null;

  constructor(dirs: string[], top: string, changed: () => void) {
    const gathered = () => {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        changed();
      }, GATHER_MS);
    };
    this.folders = dirs.map((d) => new FolderWatch(d, top, gathered));
  }

  close(): void {
    for (const f of this.folders) f.close();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
