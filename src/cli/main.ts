/** The `agency` command line. */
import { Command, CommanderError } from 'commander';
import { EXIT, UserError } from './output.js';
import { registerCommands } from './commands.js';
import { version } from './version.js';

const program = new Command();
program
  .name('agency')
  .description('A terminal cockpit for a fleet of Claude Code agents')
  .version(version(), '-V, --version')
  .showHelpAfterError('(run agency --help for usage)')
  .exitOverride();

registerCommands(program);

/** Errors a user caused: shown as one message. Matched by name, so that no command's module must be loaded to tell. */
const USER_ERRORS = new Set(['UserError', 'CompileError', 'UnknownDisciplineError', 'UnsafePathError', 'RegistryError', 'NodeUnreachable', 'CockpitError', 'ConfigError', 'BundleError']);
function isUserError(e: unknown): e is Error {
  return e instanceof Error && USER_ERRORS.has(e.name);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; anything else commander rejects is a usage error
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (isUserError(e)) {
    process.stderr.write(`agency: ${e.message}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : EXIT.failure;
  } else {
    process.stderr.write(`agency: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = EXIT.failure;
  }
}
