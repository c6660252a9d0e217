/** `agency push` gives each node it pushed the config's budgets, rates and models, and says what became of them. */
import { Cockpit } from '../cockpit/client.js';
import { settingsSent, type SettingsOutcome } from '../fleet/node-settings.js';

/** Connects to the nodes (which sends them the settings they do not hold) and reports each one's outcome. */
export async function sendSettings(nodes: string[]): Promise<SettingsOutcome[]> {
  if (nodes.length === 0) return [];
  const cockpit = await Cockpit.open({ nodes, start: false });
  try {
    return await Promise.all(
      cockpit.links.map(
        (l) =>
          settingsSent(l) ??
          Promise.resolve<SettingsOutcome>({
            node: l.name,
            result: 'refused',
            error: l.status().error ?? 'not reachable',
          }),
      ),
    );
  } finally {
    cockpit.close();
  }
}

export function settingsText(s: SettingsOutcome): string {
  if (s.result === 'refused') return `${s.node}: the config's budgets, rates and models not taken: ${s.error}`;
  return `${s.node}: the config's budgets, rates and models ${s.result === 'sent' ? 'sent' : 'already there'}`;
}
