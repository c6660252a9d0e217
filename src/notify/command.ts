/**
 * The operator's own notify command (`notify.command` in the config): run through /bin/sh with the details
 * only in its environment (AGENCY_NOTIFY_KIND, _NODE, _SESSION, _DECISION, _TITLE, _TEXT, _COUNT), never in
 * the command line; the environment it gets is this process's without its secrets. Bounded in time and in
 * how many run at once; a failure is said once.
 */
import { withoutSecrets } from '../protocol/secret-env.js';
import type { Notice } from './notice.js';
import { BoundedRunner, type BoundedOptions } from './processes.js';
import { cleanLine, MAX_TEXT, MAX_TITLE } from './text.js';

/** The variables a notice is given to the command in. */
export function noticeEnv(n: Notice): Record<string, string> {
  return {
    AGENCY_NOTIFY_KIND: n.kind,
    AGENCY_NOTIFY_NODE: cleanLine(n.node, MAX_TEXT),
    AGENCY_NOTIFY_SESSION: cleanLine(n.session ?? '', MAX_TEXT),
    AGENCY_NOTIFY_DECISION: cleanLine(n.decision ?? '', MAX_TEXT),
    AGENCY_NOTIFY_TITLE: cleanLine(n.title, MAX_TITLE),
    AGENCY_NOTIFY_TEXT: cleanLine(n.text, MAX_TEXT),
    AGENCY_NOTIFY_COUNT: String(n.count),
  };
}

export interface CommandOptions extends BoundedOptions {
  env?: NodeJS.ProcessEnv;
  report: (message: string) => void;
}

export class NotifyCommand {
  private readonly runner: BoundedRunner;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly command: string,
    o: CommandOptions,
  ) {
    const base = withoutSecrets(o.env ?? process.env);
    // what an outer agency left in the environment is not this notice's
    this.env = Object.fromEntries(Object.entries(base).filter(([k]) => !k.startsWith('AGENCY_NOTIFY_')));
    this.runner = new BoundedRunner('the notify command (notify.command in the config)', o.report, o);
  }

  run(n: Notice): void {
    this.runner.run({ file: '/bin/sh', args: ['-c', this.command], env: { ...this.env, ...noticeEnv(n) } });
  }

  settled(): Promise<void> {
    return this.runner.settled();
  }
}
