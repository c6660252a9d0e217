/**
 * `agency tui`: reads the view settings from the operator config and starts the cockpit's terminal view with
 * them; an option the view cannot use is a usage error (exit 2), said before the terminal is touched.
 */
import { DEFAULT_VIEW_SETTINGS, type ViewSettings } from '../cockpit/settings.js';
import { loadConfig, type OperatorConfig } from '../config/config.js';
import { runTui, TuiUsageError, type TuiOptions } from '../tui/run.js';
import { EXIT, UserError } from './output.js';

/** The theme, bell and refresh the operator config sets, each defaulted when it is not set. */
export function viewSettings(config: () => OperatorConfig = loadConfig): ViewSettings {
  const c = config();
  return {
    theme: c.theme ?? DEFAULT_VIEW_SETTINGS.theme,
    bell: c.bell ?? DEFAULT_VIEW_SETTINGS.bell,
    refresh: c.refresh ?? DEFAULT_VIEW_SETTINGS.refresh,
  };
}

export async function tui(opts: TuiOptions): Promise<void> {
  try {
    await runTui(opts, viewSettings());
  } catch (e) {
    if (e instanceof TuiUsageError) throw new UserError(e.message, EXIT.usage);
    throw e;
  }
}
