/**
 * The command table. Each command's module is imported only when that command runs, so that
 * `agency classify` does not load the template engine and `agency --help` loads almost nothing.
 */
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  const registry = program.command('registry').description('work with agent registries');
  registry
    .command('check [dir]')
    .description('validate a registry (default: the one agency ships); errors name file and line')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string | undefined, opts: { json?: boolean }) => (await import('./registry-check.js')).registryCheck(dir, opts));

  program
    .command('classify <task>')
    .description("rank the registry's disciplines for a task, with scores")
    .option('--registry <dir>', 'registry folder (default: the one agency ships)')
    .option('--json', 'print the ranking as JSON')
    .action(async (task: string, opts) => (await import('./classify.js')).classify(task, opts));

  program
    .command('compile')
    .description('write CLAUDE.md, subagents, settings, MCP servers and a memory bank for a task into DIR')
    .requiredOption('--task <text>', 'what the session is to do')
    .requiredOption('--dir <dir>', 'the git worktree or checkout to compile into')
    .option('--discipline <id>', 'the discipline (default: the best match for the task)')
    .option('--registry <dir>', 'registry folder (default: the one agency ships)')
    .option('--force', 'replace files agency did not write instead of keeping them')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => (await import('./compile.js')).compile(opts));
}
