/**
 * `agency tui`: reads the view settings from the operator config and the disciplines of the registry, and
 * starts the cockpit's terminal view with them; an option the view cannot use is a usage error (exit 2), said
 * before the terminal is touched.
 */
import { DEFAULT_VIEW_SETTINGS, type ViewSettings } from '../cockpit/settings.js';
import { loadConfig, type OperatorConfig } from '../config/config.js';
import { checkRegistry } from '../registry/index.js';
import { runTui, TuiUsageError, type DisciplineChoice, type TuiOptions } from '../tui/run.js';
import { EXIT, UserError, warn } from './output.js';
import { notifySettings, tuiNotices } from './notify-command.js';
import { loadOrgTriage } from './org-triage.js';
import { baseRegistryDir } from '../paths/package.js';

/** The theme, bell (`notify.bell`, or the older `bell`) and refresh the operator config sets, each defaulted when it is not set. */
export function viewSettings(config: () => OperatorConfig = loadConfig): ViewSettings {
  const c = config();
  return {
    theme: c.theme ?? DEFAULT_VIEW_SETTINGS.theme,
    bell: c.notify?.bell ?? c.bell ?? DEFAULT_VIEW_SETTINGS.bell,
    refresh: c.refresh ?? DEFAULT_VIEW_SETTINGS.refresh,
  };
}

/**
 * The disciplines of the registry this machine knows (AGENCY_REGISTRY, or the one agency ships), for the
 * new-task form to offer; a registry that cannot be read offers none (the form still takes a name typed).
 */
export function registryDisciplines(dir = baseRegistryDir()): DisciplineChoice[] {
  try {
    return [...checkRegistry(dir).registry.disciplines.values()]
      .map((d) => ({ id: d.id, title: d.value.title }))
      .sort((a, b) => a.id.localeCompare(b.id));
  } catch {
    return [];
  }
}

export async function tui(opts: TuiOptions): Promise<void> {
  // an organisation configured places new tasks on their VPs' nodes, and offers its disciplines too
  // a broken one does not keep the operator from the cockpit (its decisions may be waiting): it is said, and left out
  let triage: ReturnType<typeof loadOrgTriage> = null;
  try {
    triage = loadOrgTriage();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    warn(`agency: new tasks go to the least loaded node, without triage: ${e.message}`);
  }
  const disciplines = triage
    ? [...triage.registry.disciplines.values()]
        .map((d) => ({ id: d.id, title: d.value.title }))
        .sort((a, b) => a.id.localeCompare(b.id))
    : registryDisciplines();
  try {
    await runTui(opts, viewSettings(), disciplines, triage ?? undefined, tuiNotices(notifySettings()));
  } catch (e) {
    if (e instanceof TuiUsageError) throw new UserError(e.message, EXIT.usage);
    throw e;
  }
}
