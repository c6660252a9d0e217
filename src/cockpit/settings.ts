/**
 * The operator's settings for the cockpit's views: the colour theme (`theme`: default, light, high-contrast, or a
 * path to a theme file), whether a new decision rings the terminal bell (`bell`), and how often tiles and lists
 * are redrawn (`refresh`, seconds: decisions, links and the operator's own commands show at once whatever it is).
 * The command that starts a view reads them from the operator config; the cockpit itself reads no config.
 */
export interface ViewSettings {
  theme: string;
  bell: boolean;
  /** seconds between refreshes of summaries */
  refresh: number;
}

/** What a view uses for each setting the operator did not set. */
export const DEFAULT_VIEW_SETTINGS: Readonly<ViewSettings> = { theme: 'default', bell: false, refresh: 1 };
