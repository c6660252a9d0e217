/**
 * What `agency run` tells the operator besides the session's id: where its work goes and what to do next; and,
 * before anything is made, that the local node's daemon lacks the key the operator's shell has. A running
 * daemon keeps the environment it started with (an `agency status` before the key was exported starts one
 * without it), so the key in the shell that runs `agency run` does not reach its sessions.
 */
import { join } from 'node:path';
import type { LinkStatus } from '../fleet/link.js';
import { agencyHome } from '../paths/node-home.js';
import type { SessionSummary } from '../protocol/messages.js';

/** The variables that give Claude Code a key (the node serves them to its sessions). */
const KEY_VARIABLES = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'] as const;

export interface KeyAdvice {
  /** the run would fail for want of any key or login: refuse it */
  refuse: boolean;
  message: string;
}

/**
 * When the caller's environment has a key and a local node the run may go to was started without one: what
 * to say (and whether to refuse, when that node has no login either). Null when there is nothing to say.
 */
export function keyAdvice(
  links: readonly LinkStatus[],
  target: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): KeyAdvice | null {
  const variable = KEY_VARIABLES.find((k) => env[k]?.trim());
  if (!variable) return null;
  const candidates = target ? links.filter((l) => l.name === target) : links.filter((l) => l.state === 'up');
  const local = candidates.find((l) => l.transport === 'local' && l.info?.auth?.key === false);
  if (!local?.info?.auth) return null;
  const { pid, startedAt } = local.info;
  const fix = `put ${variable}=… in ${join(agencyHome(), 'node.env')}, or run \`agency node stop\` so that the next agency command starts the node with the ${variable} of its shell`;
  const daemon = `node ${local.name}'s daemon (pid ${pid}, running since ${startedAt}) was started without a key and does not take one from later commands`;
  if (!local.info.auth.login)
    return {
      refuse: candidates.length === 1,
      message: `your shell has ${variable}, but ${daemon}, and it has no Claude Code login either, so its sessions could not reach the API: ${fix}`,
    };
  return {
    refuse: false,
    message: `your shell has ${variable}, but ${daemon}: its sessions use the Claude Code login of its user instead. To use the key, ${fix}`,
  };
}

/** The lines after the id: the worktree, the branch, and the commands that follow. */
export function runDetails(s: Pick<SessionSummary, 'id' | 'node' | 'worktree' | 'branch' | 'base'>): string[] {
  const from = s.base?.branch ? ` (from ${s.base.branch})` : '';
  return [
    `  worktree  ${s.worktree}${s.node !== 'local' ? ` on node ${s.node}` : ''}`,
    `  branch    ${s.branch}${from}`,
    `  next      agency wait ${s.id}; then agency diff ${s.id} to see the work, agency merge ${s.id} to land it`,
  ];
}
