/**
 * Whether what came over the Socket Mode connection is for this app in this workspace: the team auth.test
 * named for the bot token, and the app the app-level token belongs to. An envelope that names another team
 * or another app is dropped unread (a connection is the app's own, so none should come; a guard fails closed).
 */

export interface Ours {
  /** the workspace (auth.test's team_id); null: unknown, not checked */
  team: string | null;
  /** the app (the id in the app-level token, `xapp-1-A…-…`); null: unknown, not checked */
  app: string | null;
}

/** The app's id as an app-level token carries it (`xapp-<n>-<app id>-<…>`), or null. */
export function appIdOf(appToken: string): string | null {
  return /^xapp-\d+-(A[A-Z0-9]+)-/.exec(appToken)?.[1] ?? null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Every team id the payload names as its own (events and commands: team_id; actions: team.id). */
function teamsOf(body: Record<string, unknown>): string[] {
  const team = body.team as { id?: unknown } | null | undefined;
  return [str(body.team_id), str(team?.id)].filter((t): t is string => t !== null);
}

/** Why the payload is not ours, or null when it is. */
export function notOurs(body: unknown, ours: Ours): string | null {
  if (!body || typeof body !== 'object') return 'it is not an object';
  const b = body as Record<string, unknown>;
  if (ours.team) {
    const other = teamsOf(b).find((t) => t !== ours.team);
    if (other) return `it is of team ${other}, not ${ours.team}`;
  }
  const app = str(b.api_app_id);
  if (ours.app && app && app !== ours.app) return `it is for app ${app}, not ${ours.app}`;
  return null;
}
