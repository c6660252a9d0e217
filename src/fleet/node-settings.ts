/**
 * The operator's config reaches the nodes: each time a link comes up, the node's hello names the hash of the
 * settings it holds (NodeInfo.settings); when it is not the hash of what the config gives that node (its
 * budgets, rate limits and model routing, nodeSettingsFor), they are sent (`settings-apply`) before anything else
 * on that connection. A node that cannot take them (an older agent) is told of once, with what to do.
 */
import type { NodeSettings } from '../protocol/economics.js';
import { settingsHash } from '../protocol/economics.js';
import type { NodeLink } from './link.js';

/** What became of the settings on a link's last connection. */
export type SettingsOutcome =
  { node: string; result: 'unchanged' | 'sent'; settings: string } | { node: string; result: 'refused'; error: string };

const last = new WeakMap<NodeLink, Promise<SettingsOutcome>>();

/** Sends `settings` on each connection of `link` whose node holds others. */
export function keepSettings(
  link: NodeLink,
  settings: NodeSettings,
  warn: (text: string) => void = (t) => process.stderr.write(`${t}\n`),
): void {
  const want = settingsHash(settings);
  const none = Object.keys(settings).length === 0;
  let told = false;
  link.onConnection((c) => {
    const have = link.status().info?.settings;
    // a node that was never given any holds none, as a config that sets none gives
    if (have === want || (have === undefined && none)) {
      last.set(link, Promise.resolve({ node: link.name, result: 'unchanged', settings: want }));
      return;
    }
    const sent = c.request('settings-apply', settings).then(
      (r): SettingsOutcome => ({ node: link.name, result: 'sent', settings: r.settings }),
      (e: Error & { code?: string }): SettingsOutcome => {
        const older = e.code === 'bad-request' && /unknown operation/.test(e.message);
        const error = older
          ? `its agent is older than its settings (budgets, rates, models): run agency push --node ${link.name}`
          : e.message;
        if (!told) warn(`agency: node ${link.name} did not take the config's budgets, rates and models: ${error}`);
        told = true;
        return { node: link.name, result: 'refused', error };
      },
    );
    last.set(link, sent);
  });
}

/** What became of the settings on the link's connection (null: it has not come up). */
export function settingsSent(link: NodeLink): Promise<SettingsOutcome> | null {
  return last.get(link) ?? null;
}
