/** The `agency` command line. */
import { Command, CommanderError } from 'commander';
import { CompileError, UnknownDisciplineError, UnsafePathError } from '../compiler/index.js';
import { RegistryError } from '../registry/index.js';
import { registerClassify } from './classify.js';
import { registerCompile } from './compile.js';
import { EXIT, UserError } from './output.js';
import { registerRegistryCheck } from './registry-check.js';
import { version } from './version.js';

const program = new Command();
program
  .name('agency')
  .description('A terminal cockpit for a fleet of Claude Code agents')
  .version(version(), '-V, --version')
  .showHelpAfterError('(run agency --help for usage)')
  .exitOverride();

registerRegistryCheck(program);
registerClassify(program);
registerCompile(program);

function isUserError(e: unknown): e is Error {
  return e instanceof UserError || e instanceof CompileError || e instanceof UnknownDisciplineError || e instanceof UnsafePathError || e instanceof RegistryError;
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
