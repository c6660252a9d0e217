/** `agency compile`: turn a task into a specialist environment inside a folder. */
import { existsSync } from 'node:fs';
import { buildClassifier, compileInto } from '../compiler/index.js';
import { guardScriptPath } from '../paths/package.js';
import { taskProblem } from '../protocol/ops.js';
import { isValidId } from '../registry/index.js';
import { EXIT, printJson, say, UserError, warn } from './output.js';
import { loadValidRegistry, registryDir } from './registry-source.js';

export interface CompileOpts {
  discipline?: string;
  task: string;
  dir: string;
  registry?: string;
  force?: boolean;
  json?: boolean;
}

export function compile(opts: CompileOpts): void {
  // before anything is read or written: a task claude could not be given is refused here
  const problem = taskProblem(opts.task);
  if (problem) throw new UserError(problem, EXIT.usage);
  if (opts.discipline !== undefined && !isValidId(opts.discipline))
    throw new UserError(
      `unknown discipline ${JSON.stringify(opts.discipline)}: discipline ids are lowercase letters, digits and hyphens`,
      EXIT.usage,
    );
  const reg = loadValidRegistry(registryDir(opts.registry));
  let discipline = opts.discipline;
  if (discipline === undefined) {
    const best = buildClassifier(reg).rank(opts.task)[0];
    if (!best || best.score <= 0) throw new UserError('no discipline matches this task; pass --discipline', EXIT.usage);
    discipline = best.discipline;
    if (!opts.json) warn(`discipline: ${discipline} (best match for the task)`);
  }
  const guard = guardScriptPath();
  if (!existsSync(guard))
    throw new UserError(`the guard program ${guard} is missing; run \`npm run build\` in the agency checkout`);
  const result = compileInto(
    opts.dir,
    reg,
    { discipline, task: opts.task },
    {
      programs: { node: process.execPath, guard },
      force: opts.force === true,
    },
  );
  if (opts.json) printJson(result);
  else {
    for (const f of result.files) say(`${f.action.padEnd(9)} ${f.path}`);
    say(`compiled ${result.discipline} into ${result.dir}`);
  }
  for (const w of result.warnings) warn(`warning: ${w}`);
}
