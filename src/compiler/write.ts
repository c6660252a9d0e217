/**
 * Writes a planned environment into a folder. Never outside it; never over a file the user wrote (unless
 * forced); merges into the user's own settings and MCP files; removes what an earlier compile wrote and
 * this one does not, when nobody has changed it since.
 */
import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { mcpJsonSchema, type ClaudeSettings, type McpServer, type Registry } from '../registry/index.js';
import { mergeMcp, mergeSettings, type Added } from './merge.js';
import { planCompile, type CompileRequest, type PlannedFile } from './plan.js';
import { readIfExists, removeInside, safeJoin, writeInside } from './safe-fs.js';
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
}

export function compileInto(dir: string, reg: Registry, req: CompileRequest, opts: CompileOptions): CompileResult {
  let root: string;
  try {
    root = realpathSync(dir);
    if (!statSync(root).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new CompileError(`${dir} is not an existing folder`);
  }
  const { files } = planCompile(reg, req, root, opts.programs, opts.sandbox);
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

  for (const w of writes) writeInside(root, w.path, w.content);
  for (const path of stale) {
    removeInside(root, path);
    result.files.push({ path, action: 'removed' });
  }
  writeInside(root, MANIFEST_FILE, jsonFile(manifest));
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
