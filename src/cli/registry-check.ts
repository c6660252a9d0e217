/** `agency registry check [DIR]`: validate a registry; every problem names its file and line. */
import { formatProblem } from '../registry/index.js';
import { EXIT, printable, printJson, say, warn } from './output.js';
import { fullCheck, registryDir } from './registry-source.js';

export function registryCheck(dirArg: string | undefined, opts: { json?: boolean }): void {
  const dir = registryDir(dirArg);
  const { registry: reg, problems } = fullCheck(dir);
  const counts = {
    disciplines: reg.disciplines.size,
    charters: reg.charters.size,
    agents: reg.agents.size,
    tools: reg.tools.size,
    hooks: reg.hooks.size,
  };
  if (opts.json) printJson({ registry: dir, ok: problems.length === 0, problems, counts });
  else if (problems.length === 0)
    say(
      `registry ${printable(dir)} is valid: ${counts.disciplines} disciplines, ${counts.agents} agents, ${counts.tools} tools, ${counts.hooks} hook files`,
    );
  else {
    for (const p of problems) warn(printable(formatProblem(p)));
    warn(`${problems.length} problem(s) in registry ${printable(dir)}`);
  }
  process.exitCode = problems.length === 0 ? EXIT.ok : EXIT.failure;
}
