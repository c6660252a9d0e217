/**
 * The organisation a node was given (`agency org apply`): its overlay's files kept under the node's home,
 * checked before they are used, and the VPs of it that this node carries.
 *
 * `<home>/org/` holds one folder per organisation given (`o-…`) and `current`, a small JSON file naming the
 * folder in use and the VPs carried; replacing `current` (a rename) is what swaps one organisation for the
 * next, so a node has the old one or the new one, never a mix. What is read back (at start) is checked as
 * what is received is: only the overlay's own file names, no links followed, the overlay valid over the
 * node's registry, the VPs in it.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RemoteError } from '../protocol/connection.js';
import type { NodeInfo, NodeOrg } from '../protocol/messages.js';
import { ORG_FILE_PATH, VP_ID, type OrgFile } from '../protocol/org.js';
import type { OpArgs } from '../protocol/ops.js';
import { charterProblem } from '../compiler/index.js';
import { checkRegistryAt, formatProblem, type Org, type Problem, type Registry } from '../registry/index.js';
import { writeFileAtomic } from './atomic-file.js';
import { warnOperator } from './warnings.js';

export interface OrgStoreOptions {
  /** the node's home (AGENCY_HOME): the organisation is kept in its `org/` folder */
  home: string;
  /** the node's own registry, which the overlay is laid over */
  base: string;
  /** the node's info: its `org` is kept up to date, its warnings say why a stored organisation is not used */
  info: NodeInfo;
  /** told each time the organisation changes (the daemon tells the node's watchers) */
  onChange?: (org: NodeOrg | null) => void;
}

/** An organisation in use: its checked registry and the VPs this node carries. */
interface Held {
  dir: string;
  registry: Registry;
  org: Org;
  vps: string[];
}

const FOLDER = /^o-[0-9a-z]{1,40}$/;
const CURRENT = 'current';
const pointerSchema = z.strictObject({
  folder: z.string().regex(FOLDER),
  vps: z.array(z.string().regex(VP_ID)).min(1).max(64),
});

export class NodeOrgStore {
  private held: Held | null = null;
  private readonly root: string;

  constructor(private readonly o: OrgStoreOptions) {
    this.root = join(o.home, 'org');
  }

  /** the organisation and the VPs this node carries, or null when it was given none */
  current(): NodeOrg | null {
    const h = this.held;
    if (!h) return null;
    return {
      id: h.org.id,
      name: h.org.name,
      vps: h.org.vps
        .filter((v) => h.vps.includes(v.id))
        .map((v) => ({ id: v.id, name: v.name, mandate: v.mandate, disciplines: [...v.disciplines] })),
    };
  }

  /** The overlay's registry (over the node's own), checked as it was given or loaded; null without an organisation. */
  registry(): Registry | null {
    return this.held?.registry ?? null;
  }

  /**
   * Reads back the organisation kept under the node's home, checked as a new one is. One that does not pass
   * is not used, and the node says why in its warnings.
   */
  load(): void {
    let pointer: z.infer<typeof pointerSchema>;
    const file = join(this.root, CURRENT);
    try {
      if (!this.isDir(this.root, false)) return;
      const st = lstatSync(file);
      if (!st.isFile()) throw new Error(`${file} is not a plain file`);
      const r = pointerSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!r.success) throw new Error('it does not name a folder of organisations and the VPs carried');
      pointer = r.data;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      return this.refuseStored(`${file} cannot be read (${(e as Error).message.split('\n')[0]})`);
    }
    const dir = join(this.root, pointer.folder);
    const problems: Problem[] = [];
    let held: Held | null = null;
    try {
      problems.push(...storedProblems(dir));
      if (problems.length === 0) held = this.check(dir, pointer.vps, problems);
    } catch (e) {
      // whatever the disk does, the node starts: without the organisation, saying why
      problems.push({ file: '.', line: 0, message: `cannot be read (${(e as Error).message.split('\n')[0]})` });
    }
    if (!held) return this.refuseStored(`${dir}: ${problems.map(formatProblem).join('; ')}`);
    this.set(held);
  }

  async apply(args: OpArgs['org-apply']): Promise<NodeOrg> {
    this.ensureRoot();
    // a folder of its own, which nothing uses until the pointer names it (prune takes it if that never comes)
    const folder = `o-${randomBytes(8).toString('hex')}`;
    const dir = join(this.root, folder);
    mkdirSync(dir, { mode: 0o700 });
    let held: Held | null;
    const problems: Problem[] = [];
    try {
      writeFiles(dir, args.files);
      held = this.check(dir, args.vps, problems);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new RemoteError(
        'failed',
        `node ${this.o.info.name} could not keep the organisation: ${(e as Error).message}`,
      );
    }
    if (!held) {
      rmSync(dir, { recursive: true, force: true });
      throw new RemoteError(
        'bad-request',
        `node ${this.o.info.name} refused the organisation (it keeps the one it had):\n${problems.map(formatProblem).join('\n')}`,
      );
    }
    // the folder's entry is on the disk before the pointer names it, and the pointer after
    syncDir(this.root);
    writeFileAtomic(join(this.root, CURRENT), `${JSON.stringify({ folder, vps: args.vps })}\n`);
    syncDir(this.root);
    this.set(held);
    this.prune(folder);
    return this.current()!;
  }

  /** The overlay at dir checked over the node's registry, and the VPs named in it; null with problems said. */
  private check(dir: string, vps: string[], problems: Problem[]): Held | null {
    const { registry, problems: found } = checkRegistryAt(dir, this.o.base);
    problems.push(...found);
    // a charter's template that does not render would fail each run of its discipline: refused here instead
    for (const c of registry.charters.values()) {
      const p = charterProblem(c.value.source);
      if (p) problems.push({ file: c.file, line: p.line, message: p.message });
    }
    const org = registry.org?.value;
    if (!org) {
      if (problems.length === 0) problems.push({ file: 'org.yaml', line: 0, message: 'no organisation in it' });
      return null;
    }
    const known = new Set(org.vps.map((v) => v.id));
    for (const vp of vps)
      if (!known.has(vp))
        problems.push({
          file: 'org.yaml',
          line: 0,
          message: `no VP ${JSON.stringify(vp)} in organisation ${org.id} (its VPs: ${[...known].join(', ')})`,
        });
    if (problems.length) return null;
    return { dir, registry, org, vps: [...new Set(vps)] };
  }

  private set(held: Held): void {
    this.held = held;
    this.o.info.org = this.current()!;
    this.o.onChange?.(this.o.info.org);
  }

  private refuseStored(why: string): void {
    warnOperator(this.o.info, `the organisation this node was given is not used: ${why}; run agency org apply again`);
  }

  /** `<home>/org` as a folder of the node's own: something else there (a link, a file) is taken away, not followed. */
  private ensureRoot(): void {
    if (this.isDir(this.root, true)) return;
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  private isDir(path: string, clear: boolean): boolean {
    try {
      const st = lstatSync(path);
      if (st.isDirectory()) return true;
      if (!clear) throw new Error(`${path} is not a folder (a link is not followed)`);
      rmSync(path, { force: true });
      return false;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Removes the folders of earlier organisations, and any a crash left before its pointer was written. */
  private prune(keep: string): void {
    try {
      for (const name of readdirSync(this.root))
        if (name !== keep && FOLDER.test(name)) rmSync(join(this.root, name), { recursive: true, force: true });
    } catch (e) {
      // the new organisation is in use already: what is left over goes with the next apply
      warnOperator(this.o.info, `could not remove earlier organisations under ${this.root}: ${(e as Error).message}`);
    }
  }
}

/**
 * Writes an overlay's files (their paths checked against ORG_FILE_PATH on the wire) into a new folder, each
 * file and folder flushed to disk: the pointer that names the folder is written after, and a crash between
 * the two must not leave it naming files that were never on the disk.
 */
function writeFiles(dir: string, files: OrgFile[]): void {
  const folders = new Set<string>();
  for (const f of files) {
    // checked on the wire already; checked again here, where it becomes a path
    if (!ORG_FILE_PATH.test(f.path)) throw new Error(`${JSON.stringify(f.path)} is not a file of an overlay`);
    const slash = f.path.indexOf('/');
    if (slash > 0) {
      const sub = join(dir, f.path.slice(0, slash));
      if (!folders.has(sub)) mkdirSync(sub, { mode: 0o700 });
      folders.add(sub);
    }
    const fd = openSync(join(dir, f.path), 'wx', 0o600);
    try {
      writeSync(fd, Buffer.from(f.text, 'utf8'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  for (const sub of folders) syncDir(sub);
  syncDir(dir);
}

/** Flushes a folder's entries (names created, renamed) to disk. */
function syncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What is wrong with a stored overlay's folder as files: anything but its own file names, any link. */
function storedProblems(dir: string): Problem[] {
  const problems: Problem[] = [];
  const walk = (rel: string, depth: number) => {
    const path = rel ? join(dir, rel) : dir;
    let st;
    try {
      st = lstatSync(path);
    } catch (e) {
      problems.push({ file: rel || '.', line: 0, message: `cannot be read (${(e as NodeJS.ErrnoException).code})` });
      return;
    }
    if (st.isSymbolicLink()) problems.push({ file: rel || '.', line: 0, message: 'is a link (not followed)' });
    else if (st.isDirectory() && depth < 2) {
      let names: string[];
      try {
        names = readdirSync(path).sort();
      } catch (e) {
        problems.push({
          file: rel || '.',
          line: 0,
          message: `cannot be listed (${(e as NodeJS.ErrnoException).code})`,
        });
        return;
      }
      for (const n of names) walk(rel ? `${rel}/${n}` : n, depth + 1);
    } else if (!st.isFile() || !ORG_FILE_PATH.test(rel))
      problems.push({ file: rel || '.', line: 0, message: 'is not a file of an overlay' });
  };
  walk('', 0);
  return problems;
}
