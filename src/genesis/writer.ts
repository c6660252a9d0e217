/**
 * Writing an overlay so that nothing half-written is ever left. Staging: the new folder is made next to the
 * target (DIR/orgs/.<org>.new-…) from the generated files and, when the organisation is already there, the files
 * genesis did not write (and those it wrote that were edited by hand since), then checked as a registry overlay
 * over the base with every charter rendered, all before the operator is asked. Committing: the old folder is
 * renamed to DIR/orgs/.<org>.old, the new one into place, the old one removed. A run killed between the two
 * renames leaves the old folder at .<org>.old, where the next run puts it back (recoverInterrupted).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { charterProblem } from '../compiler/index.js';
import { checkRegistryAt, formatProblem, ORG_FILE } from '../registry/index.js';
import { GenesisError } from './errors.js';
import { type ExistingOrg, filesUnder, hashOf, MANIFEST, manifestText } from './existing.js';
import { onInterrupt } from './interrupt.js';
import type { Files } from './render.js';

/** Problems of an overlay folder: the registry's checks over the base, and every charter rendered. */
export function overlayProblems(dir: string, base: string): string[] {
  const { registry, problems } = checkRegistryAt(dir, base);
  const out = problems.map(formatProblem);
  for (const c of registry.charters.values()) {
    if (!c.value.path.startsWith(resolve(dir))) continue;
    const p = charterProblem(c.value.source);
    if (p) out.push(`${c.file}:${p.line}: ${p.message}`);
  }
  return out;
}

/** What a write does to the folder, path by path. */
export interface Changes {
  added: string[];
  replaced: string[];
  unchanged: string[];
  removed: string[];
  /** files genesis did not write, kept as they are */
  kept: string[];
  /** files genesis wrote and the operator edited since, kept instead of the generated ones */
  edited: string[];
}

export interface Staged {
  target: string;
  changes: Changes;
  commit(): void;
  discard(): void;
}

const asideOf = (out: string, org: string) => join(out, 'orgs', `.${org}.old`);

/**
 * Puts back an organisation whose folder a killed run left at .<org>.old (or removes that copy when the new
 * folder made it into place); what happened, or null.
 */
export function recoverInterrupted(out: string, org: string): string | null {
  const aside = asideOf(out, org);
  const target = join(out, 'orgs', org);
  if (!existsSync(aside)) return null;
  try {
    if (existsSync(target)) {
      rmSync(aside, { recursive: true, force: true });
      return null;
    }
    renameSync(aside, target);
  } catch (e) {
    throw fsError(e, `cannot put ${aside} back at ${target}`);
  }
  return `put ${target} back from ${aside}, where an interrupted write had left it`;
}

/** Stages the overlay for out/orgs/<org>/ and checks it; nothing is changed at the target until commit. */
export function stageOverlay(
  out: string,
  org: string,
  files: Files,
  base: string,
  existing: ExistingOrg | null,
  replace: boolean,
): Staged {
  for (const path of files.keys())
    if (!/^(org\.yaml|disciplines\/[^/]+\.yaml|charters\/[^/]+\.md\.hbs|agents\/[^/]+\.md)$/.test(path))
      throw new GenesisError(`genesis does not write ${path}: only org.yaml, disciplines, charters and subagents`);
  const orgs = join(out, 'orgs');
  const target = join(orgs, org);
  const createdOut = !existsSync(out);
  const createdOrgs = !existsSync(orgs);
  let tmp: string | null = null;
  const discard = () => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    tmp = null;
    if (createdOrgs) tryRmdir(orgs);
    if (createdOut) tryRmdir(out);
  };
  const unregister = onInterrupt(discard);
  const changes: Changes = { added: [], replaced: [], unchanged: [], removed: [], kept: [], edited: [] };
  try {
    mkdirSync(orgs, { recursive: true });
    tmp = mkdtempSync(join(orgs, `.${org}.new-`));
    const manifest = new Map<string, string>();
    const put = (path: string, content: string | Buffer) => {
      const file = join(tmp!, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content, { flag: 'wx' });
    };
    const before = existing ? filesUnder(existing.dir) : [];
    for (const path of before) {
      const content = readFileSync(join(existing!.dir, path));
      const written = existing!.generated?.get(path);
      const ours = written !== undefined || (existing!.generated === null && files.has(path)) || path === ORG_FILE;
      if (!ours) {
        if (files.has(path))
          throw new GenesisError(
            `${join(target, path)} was not written by genesis, and genesis would write it now: move it away, or run again after renaming it`,
          );
        changes.kept.push(path);
        put(path, content);
      } else if (written !== undefined && written !== hashOf(content) && path !== ORG_FILE) {
        // edited by hand since genesis wrote it: the operator's version stays
        changes.edited.push(path);
        manifest.set(path, written);
        put(path, content);
      } else if (!files.has(path)) changes.removed.push(path);
      else if (content.equals(Buffer.from(files.get(path)!))) changes.unchanged.push(path);
      else changes.replaced.push(path);
    }
    for (const [path, content] of files) {
      if (changes.edited.includes(path)) continue;
      if (!before.includes(path)) changes.added.push(path);
      manifest.set(path, hashOf(content));
      put(path, content);
    }
    put(MANIFEST, manifestText(manifest));
    // the shipped guard policies are never replaced by a file in the organisation's folder
    const shippedHooks = checkRegistryAt(base, base).registry.hooks;
    const guards = filesUnder(tmp).filter((p) => shippedHooks.has(/^hooks\/(.+)\.json$/.exec(p)?.[1] ?? ''));
    if (replace && guards.length > 0)
      throw new GenesisError(
        `${guards.map((p) => join(target, p)).join(', ')} would replace the shipped guard policy of that name (replace: true): genesis never does that; rename or remove the file`,
      );
    const problems = overlayProblems(tmp, base);
    if (problems.length > 0)
      throw new GenesisError(
        `the generated organisation does not pass the registry check, so nothing was written:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
  } catch (e) {
    discard();
    unregister();
    throw fsError(e, `cannot write the organisation next to ${target}`);
  }
  return {
    target,
    changes,
    discard: () => {
      discard();
      unregister();
    },
    commit: () => {
      const aside = asideOf(out, org);
      let moved = false;
      try {
        if (existsSync(aside)) rmSync(aside, { recursive: true, force: true });
        if (existsSync(target)) {
          renameSync(target, aside);
          moved = true;
        }
        renameSync(tmp!, target);
        tmp = null;
      } catch (e) {
        if (moved && !existsSync(target)) renameSync(aside, target);
        discard();
        unregister();
        throw fsError(e, `cannot put the organisation in place at ${target}`);
      }
      unregister();
      if (moved) rmSync(aside, { recursive: true, force: true });
    },
  };
}

/** A file system error as a clear one (what failed, and the system's reason); anything else as it is. */
function fsError(e: unknown, what: string): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (e instanceof GenesisError || typeof code !== 'string') return e;
  return new GenesisError(`${what}: ${(e as Error).message}. Nothing was changed there; fix that and run again.`);
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty: something else is there now */
  }
}
