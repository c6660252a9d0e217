/**
 * Writing an overlay so that nothing half-written is ever left: its files go into a temporary folder next to
 * the target (DIR/orgs/.<org>.new-…), are checked there as a registry overlay over the base (and every charter
 * rendered), and only then renamed into place. An earlier version of the same organisation is moved aside
 * first and removed once the new one is in place; on any failure it is put back and the temporary folder goes.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { charterProblem } from '../compiler/index.js';
import { checkRegistryAt, formatProblem } from '../registry/index.js';
import { GenesisError } from './errors.js';
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

/** Writes the overlay to out/orgs/<org>/ atomically; returns its folder. */
export function writeOverlay(out: string, org: string, files: Files, base: string): string {
  const orgs = join(out, 'orgs');
  const target = join(orgs, org);
  const createdOut = !existsSync(out);
  const createdOrgs = !existsSync(orgs);
  mkdirSync(orgs, { recursive: true });
  const tmp = mkdtempSync(join(orgs, `.${org}.new-`));
  let aside: string | null = null;
  try {
    for (const [path, content] of files) {
      const file = join(tmp, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content, { flag: 'wx' });
    }
    const problems = overlayProblems(tmp, base);
    if (problems.length > 0)
      throw new GenesisError(
        `the generated organisation does not pass the registry check, so nothing was written:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
    if (existsSync(target)) {
      aside = `${tmp}.old`;
      renameSync(target, aside);
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (aside && !existsSync(target)) renameSync(aside, target);
    if (createdOrgs) tryRmdir(orgs);
    if (createdOut) tryRmdir(out);
    throw e;
  }
  if (aside) rmSync(aside, { recursive: true, force: true });
  return target;
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty: something else is there now */
  }
}
