/** Loading the registry a command was pointed at, with errors that name the files. */
import { relative, isAbsolute, join } from 'node:path';
import { checkRegistryAt, formatProblem, type Problem, type Registry } from '../registry/index.js';
import { charterProblem } from '../compiler/index.js';
import { baseRegistryDir } from '../paths/package.js';
import { UserError } from './output.js';

export function registryDir(opt: string | undefined): string {
  return opt ?? baseRegistryDir();
}

/**
 * Everything wrong with a registry: its files, their references, and (unless skipped, as classify may,
 * which renders none) its charters' templates.
 */
export function fullCheck(dir: string, charters = true): { registry: Registry; problems: Problem[] } {
  const { registry, problems } = checkRegistryAt(dir, baseRegistryDir());
  for (const c of charters ? registry.charters.values() : []) {
    const p = charterProblem(c.value.source);
    if (p) problems.push({ file: c.file, line: p.line, message: p.message });
  }
  const shown = problems.map((p) => ({ ...p, file: displayPath(dir, p.file) }));
  shown.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return { registry, problems: shown };
}

/** A registry-relative path as the user can open it from where they are. */
function displayPath(dir: string, file: string): string {
  if (isAbsolute(file)) return file;
  const abs = join(dir, file);
  const rel = relative(process.cwd(), abs);
  return rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

export function loadValidRegistry(dir: string, opts: { charters?: boolean } = {}): Registry {
  const { registry, problems } = fullCheck(dir, opts.charters ?? true);
  if (problems.length > 0) {
    throw new UserError(
      `the registry at ${dir} has ${problems.length} problem(s):\n${problems.map(formatProblem).join('\n')}`,
    );
  }
  return registry;
}
