/** `agency registry check [DIR]`: validate a registry; every problem names its file and line. */
import { formatProblem } from '../registry/index.js';
import { EXIT, printable, printJson, say, warn } from './output.js';
import { baseRegistryDir } from '../paths/package.js';
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
  const org = reg.org?.value;
  if (opts.json)
    printJson({
      registry: dir,
      ok: problems.length === 0,
      problems,
      counts,
      ...(org ? { org: { id: org.id, name: org.name, vps: org.vps.map((v) => v.id) } } : {}),
    });
  else if (problems.length === 0) {
    const all = `${counts.disciplines} disciplines, ${counts.agents} agents, ${counts.tools} tools, ${counts.hooks} hook files`;
    if (!org) say(`registry ${printable(dir)} is valid: ${all}`);
    else
      say(
        `organisation ${printable(org.name)} (${org.id}) at ${printable(dir)} is valid: ${org.vps.length} VPs over the registry at ${printable(baseRegistryDir())}; ${all} in all`,
      );
  } else {
    for (const p of problems) warn(printable(formatProblem(p)));
    warn(`${problems.length} problem(s) in registry ${printable(dir)}`);
  }
  process.exitCode = problems.length === 0 ? EXIT.ok : EXIT.failure;
}
