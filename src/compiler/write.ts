/**
 * Writes a planned environment into a folder. Never outside it; never over a file the user wrote (unless
 * forced); merges into the user's own settings and MCP files; removes what an earlier compile wrote and
 * this one does not, when nobody has changed it since. All of it or nothing: a compile that fails leaves
 * the folder as it was (safe-fs.ts applyChanges).
 */
import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { mcpJsonSchema, type ClaudeSettings, type McpServer, type Registry } from '../registry/index.js';
import { mergeMcp, mergeSettings, type Added } from './merge.js';
import { planCompile, type CompileRequest, type PlannedFile, type VpContext } from './plan.js';
import { applyChanges, readIfExists, safeJoin, UnsafePathError } from './safe-fs.js';
import { validateSettings, type HookPrograms, type SandboxOptions } from './settings.js';
import { jsonFile } from './text.js';

export const MANIFEST_FILE = '.claude/agency/manifest.json';

export type FileAction = 'created' | 'updated' | 'unchanged' | 'merged' | 'kept' | 'replaced' | 'removed';

export interface CompileResult {
  dir: string;
  discipline: string;
  files: { path: string; action: FileAction }[];
  warnings: string[];
}

interface Manifest {
  version: 1;
  discipline: string;
  files: Record<string, string>;
  added: Record<string, Added>;
}

export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompileError';
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export interface CompileOptions {
  programs: HookPrograms;
  /** the OS sandbox; on unless the node was opted out */
  sandbox?: SandboxOptions;
  /** replace files the user wrote instead of keeping them */
  force?: boolean;
  /** the VP the session works for: a short section of CLAUDE.md says who that is */
  vp?: VpContext;
}

export function compileInto(dir: string, reg: Registry, req: CompileRequest, opts: CompileOptions): CompileResult {
  let root: string;
  try {
    root = realpathSync(dir);
    if (!statSync(root).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new CompileError(`${dir} is not an existing folder`);
  }
  try {
    return compileRoot(root, reg, req, opts);
  } catch (e) {
    throw fileSystemError(e, root);
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted (an immutable or protected file?)',
  EROFS: 'it is on a read-only file system',
  ENOSPC: 'no space is left on the device',
  EDQUOT: 'the disk quota is used up',
  EISDIR: 'a folder is where a file should be',
  ENOTDIR: 'a file is where a folder should be',
  ENAMETOOLONG: 'a path is too long',
};

/** What the file system refused, as one line naming the folder and the file; other errors pass as they are. */
function fileSystemError(e: unknown, root: string): unknown {
  if (e instanceof CompileError || e instanceof UnsafePathError) return e;
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (typeof err?.code !== 'string' || typeof err.syscall !== 'string') return e;
  // of the paths a failed call names (a rename names two), the one that is the user's, not the staging folder's
  const file = [err.dest, err.path]
    .map((p) => (typeof p === 'string' && p.startsWith(`${root}/`) ? p.slice(root.length + 1) : ''))
    .find((p) => p !== '' && !p.startsWith('.agency-staging-'));
  const what = file ? `${file} in ${root}` : `into ${root}`;
  return new CompileError(`cannot write ${what}: ${REASONS[err.code] ?? err.code}; nothing was changed there`);
}

function compileRoot(root: string, reg: Registry, req: CompileRequest, opts: CompileOptions): CompileResult {
  const { files } = planCompile(reg, req, root, opts.programs, opts.sandbox, opts.vp);
  const prev = readManifest(root);
  const manifest: Manifest = { version: 1, discipline: req.discipline, files: {}, added: {} };
  const result: CompileResult = { dir: root, discipline: req.discipline, files: [], warnings: [] };
  const writes: { path: string; content: string }[] = [];

  // Decide everything first, so that a problem found late leaves the folder as it was.
  for (const f of files) {
    const existing = readIfExists(safeJoin(root, f.path));
    const decided = decide(f, existing, prev, opts.force === true, result.warnings);
    if (decided.added) manifest.added[f.path] = decided.added;
    if (decided.action === 'kept') {
      result.files.push({ path: f.path, action: 'kept' });
      continue;
    }
    manifest.files[f.path] = sha(decided.content);
    result.files.push({ path: f.path, action: decided.action });
    if (decided.action !== 'unchanged') writes.push({ path: f.path, content: decided.content });
  }
  const stale: string[] = [];
  for (const [path, hash] of Object.entries(prev?.files ?? {})) {
    if (path in manifest.files || files.some((f) => f.path === path)) continue;
    let existing: string | null;
    try {
      existing = readIfExists(safeJoin(root, path));
    } catch {
      continue;
    }
    if (existing !== null && sha(existing) === hash) stale.push(path);
  }

  for (const path of stale) result.files.push({ path, action: 'removed' });
  applyChanges(root, [
    ...writes,
    ...stale.map((path) => ({ path, content: null })),
    { path: MANIFEST_FILE, content: jsonFile(manifest) },
  ]);
  return result;
}

function readManifest(root: string): Manifest | null {
  try {
    const text = readIfExists(safeJoin(root, MANIFEST_FILE));
    if (text === null) return null;
    const m = JSON.parse(text) as Manifest;
    return m && m.version === 1 && typeof m.files === 'object' ? { ...m, added: m.added ?? {} } : null;
  } catch {
    return null;
  }
}

function decide(
  f: PlannedFile,
  existing: string | null,
  prev: Manifest | null,
  force: boolean,
  warnings: string[],
): { action: FileAction; content: string; added?: Added } {
  if (existing === null) return { action: 'created', content: f.content };
  if (existing === f.content) return { action: 'unchanged', content: f.content };
  const ours = prev?.files[f.path] === sha(existing);
  const prevAdded = prev?.added[f.path];
  if (ours && !prevAdded) return { action: 'updated', content: f.content };
  if (f.merge && !force) {
    let user: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(existing);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      user = parsed as Record<string, unknown>;
    } catch (e) {
      if (f.merge === 'settings')
        throw new CompileError(
          `${f.path} is not valid JSON (${(e as Error).message}); fix it or pass --force to replace it (the guard must be registered there)`,
        );
      warnings.push(`${f.path} is not valid JSON, so agency kept it as it is and its MCP servers are not added`);
      return { action: 'kept', content: existing };
    }
    const planned = JSON.parse(f.content) as Record<string, unknown>;
    const { merged, added } =
      f.merge === 'settings'
        ? mergeSettings(user, planned as ClaudeSettings, prevAdded)
        : mergeMcp(user, mcpJsonSchema.parse(planned).mcpServers as Record<string, McpServer>, prevAdded);
    if (f.merge === 'settings') validateSettings(merged, f.path);
    const content = jsonFile(merged);
    return { action: content === existing ? 'unchanged' : 'merged', content, added };
  }
  if (ours) return { action: 'updated', content: f.content };
  if (force) return { action: 'replaced', content: f.content };
  warnings.push(`${f.path} was not written by agency (or was changed since); kept it as it is (--force replaces it)`);
  return { action: 'kept', content: existing };
}
