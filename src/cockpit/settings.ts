/**
 * The operator's settings for the cockpit's views, read from the operator config: the colour theme
 * (`theme`: default, light, high-contrast, or a path to a theme file) and whether a new decision rings
 * the terminal bell (`bell`: true or false), and how often tiles and lists are redrawn (`refresh`, seconds:
 * decisions, links and the operator's own commands show at once whatever it is).
 */
import { loadConfig, type OperatorConfig } from '../config/config.js';

export interface ViewSettings {
  theme: string;
  bell: boolean;
  /** seconds between refreshes of summaries */
  refresh: number;
}

export const DEFAULT_REFRESH_S = 1;

export function viewSettings(config: () => OperatorConfig = loadConfig): ViewSettings {
  const c = config() as OperatorConfig & { bell?: unknown };
  return { theme: c.theme ?? 'default', bell: c.bell === true, refresh: c.refresh ?? DEFAULT_REFRESH_S };
}
