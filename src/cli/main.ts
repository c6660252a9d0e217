/** The `agency` command line. */
import { Command, CommanderError } from 'commander';
import { EXIT, printable, UserError } from './output.js';
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
const USER_ERRORS = new Set([
  'UserError',
  'CompileError',
  'UnknownDisciplineError',
  'UnknownNodeError',
  'UnsafePathError',
  'RegistryError',
  'NodeUnreachable',
  'CockpitError',
  'ConfigError',
  'BundleError',
  'RemoteError',
]);
/** Of those, the ones that are usage errors (exit 2): a name that is not there (a discipline, a node). */
const USAGE_ERRORS = new Set(['UnknownDisciplineError', 'UnknownNodeError']);
function isUserError(e: unknown): e is Error {
  return e instanceof Error && USER_ERRORS.has(e.name);
}

// a reader that went away (`agency status | head -1`) ends the command quietly, as it would end cat
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? EXIT.ok);
  });
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; anything else commander rejects is a usage error
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (isUserError(e)) {
    process.stderr.write(`agency: ${printable(e.message, true)}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : USAGE_ERRORS.has(e.name) ? EXIT.usage : EXIT.failure;
  } else {
    process.stderr.write(`agency: internal error: ${printable((e as Error)?.stack ?? String(e), true)}\n`);
    process.exitCode = EXIT.failure;
  }
}
