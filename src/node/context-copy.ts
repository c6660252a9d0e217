/**
 * The node's own copy of a session's compiled context: what it compiled into the worktree (the files
 * Claude Code loads as settings, hooks, agents, instructions and MCP servers), kept outside the worktree
 * under AGENCY_HOME/sessions/<id>/context/, where the session cannot reach it: a manifest of hashes and
 * the bytes to restore each file from. context-check.ts compares the worktree against it.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file.js';

/** Single files of the compiled context, relative to the worktree. */
export const CONTEXT_FILES = ['CLAUDE.md', '.mcp.json', '.claude/settings.json', '.claude/settings.local.json'];
/** Folders whose every file is part of it: agents and agency's own files, and what else can run code or instruct. */
export const CONTEXT_DIRS = ['.claude/agents', '.claude/agency', '.claude/skills', '.claude/commands', '.claude/hooks'];

export type Entry = { kind: 'file'; sha256: string; mode: number } | { kind: 'link'; target: string };
/** What is in a worktree where the context is: its entries, and anything that is neither file nor link. */
export type Found = Entry | { kind: 'other' };

/** Whether rel is a path of the compiled context (and a safe one: no empty, `.` or `..` part). */
export function inContext(rel: string): boolean {
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) return false;
  return CONTEXT_FILES.includes(rel) || CONTEXT_DIRS.some((d) => rel.startsWith(`${d}/`));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function lstatOrNull(abs: string) {
  try {
    return lstatSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/** Whether every folder on the way to rel (and rel itself, if asked) is a real folder, not a link or a file. */
export function realFolders(root: string, rel: string, includingLast: boolean): boolean {
  const parts = rel.split('/');
  let cur = root;
  for (const part of includingLast ? parts : parts.slice(0, -1)) {
    cur = join(cur, part);
    const st = lstatOrNull(cur);
    if (!st || !st.isDirectory()) return false;
  }
  return true;
}

/**
 * What the worktree holds where the context is, path by path, without following a link. With `bytes`,
 * the contents of each file are collected too. A path behind a folder that is a link or a file counts as
 * missing: restoring it clears the way.
 */
export function scanContext(root: string, bytes?: Map<string, Buffer>): Map<string, Found> {
  const found = new Map<string, Found>();
  const visit = (rel: string) => {
    const abs = join(root, rel);
    const st = lstatOrNull(abs);
    if (!st) return;
    if (st.isSymbolicLink()) found.set(rel, { kind: 'link', target: readlinkSync(abs) });
    else if (st.isFile()) {
      const data = readFileSync(abs);
      const hash = sha(data);
      bytes?.set(hash, data);
      found.set(rel, { kind: 'file', sha256: hash, mode: st.mode & 0o7777 });
    } else if (st.isDirectory() && CONTEXT_DIRS.some((d) => rel === d || rel.startsWith(`${d}/`)))
      for (const name of readdirSync(abs).sort()) visit(`${rel}/${name}`);
    else found.set(rel, { kind: 'other' });
  };
  for (const rel of [...CONTEXT_FILES, ...CONTEXT_DIRS]) if (realFolders(root, rel, false)) visit(rel);
  return found;
}

export function sameEntry(a: Found | undefined, b: Entry): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === 'link') return a.target === (b as { target: string }).target;
  if (a.kind === 'file') {
    const f = b as { sha256: string; mode: number };
    return a.sha256 === f.sha256 && a.mode === f.mode;
  }
  return false;
}

const entrySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('file'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    mode: z.int().min(0).max(0o7777),
  }),
  z.strictObject({ kind: z.literal('link'), target: z.string().min(1).max(4096) }),
]);
const manifestSchema = z.strictObject({
  version: z.literal(1),
  entries: z.record(z.string().refine(inContext, 'not a path of the compiled context'), entrySchema),
});
export type ContextManifest = z.infer<typeof manifestSchema>;

/** The node's copy for one session, in its folder under the node's sessions folder. */
export class ContextCopy {
  constructor(private readonly dir: string) {}

  private get manifestPath(): string {
    return join(this.dir, 'manifest.json');
  }

  blobPath(sha256: string): string {
    return join(this.dir, 'blobs', sha256);
  }

  /** Takes the copy from the worktree as it is now: right after the node compiled it. */
  take(root: string): ContextManifest {
    const bytes = new Map<string, Buffer>();
    const entries: ContextManifest['entries'] = {};
    // something that is neither file nor link, or a link in place of a whole folder, is not kept
    for (const [rel, f] of scanContext(root, bytes)) if (f.kind !== 'other' && inContext(rel)) entries[rel] = f;
    mkdirSync(join(this.dir, 'blobs'), { recursive: true, mode: 0o700 });
    for (const [hash, data] of bytes) if (!existsSync(this.blobPath(hash))) writeFileAtomic(this.blobPath(hash), data);
    const manifest: ContextManifest = { version: 1, entries };
    writeFileAtomic(this.manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
    return manifest;
  }

  /** The manifest, or null if there is none; a manifest that does not hold is an error. */
  load(): ContextManifest | null {
    let text: string;
    try {
      text = readFileSync(this.manifestPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const r = manifestSchema.safeParse(JSON.parse(text));
    if (!r.success) throw new Error(`${this.manifestPath} is not a context manifest: ${r.error.issues[0]?.message}`);
    return r.data;
  }

  /** The bytes of a file of the copy, checked against their hash. */
  bytes(sha256: string): Buffer {
    const data = readFileSync(this.blobPath(sha256));
    if (sha(data) !== sha256) throw new Error(`${this.blobPath(sha256)} does not hold what its name says`);
    return data;
  }
}
