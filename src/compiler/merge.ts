/** Merging agency's JSON into a user's own `.claude/settings.json` or `.mcp.json`, and taking it out again. */
import { AGENCY_MCP_SERVER } from '../protocol/agency-mcp.js';
import type { ClaudeSettings, McpServer } from '../registry/index.js';

/** What agency added to a user's file, so a later compile can take exactly that out before adding anew. */
export interface Added {
  permissions?: { allow?: string[]; ask?: string[]; deny?: string[] };
  enabledMcpjsonServers?: string[];
  hooks?: Record<string, unknown[]>;
  mcpServers?: string[];
}

type Json = Record<string, unknown>;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function mergeSettings(
  user: Json,
  ours: ClaudeSettings,
  prev: Added | undefined,
): { merged: Json; added: Added } {
  const merged: Json = { ...user };
  const added: Added = { permissions: {}, hooks: {} };
  const up = (typeof user.permissions === 'object' && user.permissions !== null ? user.permissions : {}) as Json;
  const perms: Json = { ...up };
  for (const key of ['allow', 'ask', 'deny'] as const) {
    const theirs = (Array.isArray(up[key]) ? (up[key] as unknown[]) : []).filter(
      (r) => !(prev?.permissions?.[key] ?? []).includes(r as string),
    );
    const mine = (ours.permissions?.[key] ?? []).filter((r) => !theirs.includes(r));
    if (theirs.length + mine.length > 0) perms[key] = [...theirs, ...mine];
    else delete perms[key];
    if (mine.length) added.permissions![key] = mine;
  }
  if (perms.defaultMode === undefined && ours.permissions?.defaultMode)
    perms.defaultMode = ours.permissions.defaultMode;
  if (ours.permissions?.disableBypassPermissionsMode)
    perms.disableBypassPermissionsMode = ours.permissions.disableBypassPermissionsMode;
  merged.permissions = perms;

  const uh = (typeof user.hooks === 'object' && user.hooks !== null ? user.hooks : {}) as Record<string, unknown[]>;
  const hooks: Record<string, unknown[]> = {};
  for (const [event, groups] of Object.entries(uh)) {
    const kept = (Array.isArray(groups) ? groups : []).filter(
      (g) => !(prev?.hooks?.[event] ?? []).some((p) => same(p, g)),
    );
    if (kept.length) hooks[event] = kept;
  }
  for (const [event, groups] of Object.entries(ours.hooks ?? {})) {
    hooks[event] = [...(hooks[event] ?? []), ...groups];
    added.hooks![event] = groups;
  }
  if (Object.keys(hooks).length > 0) merged.hooks = hooks;
  else delete merged.hooks;
  const ue = (Array.isArray(user.enabledMcpjsonServers) ? (user.enabledMcpjsonServers as string[]) : []).filter(
    (n) => !(prev?.enabledMcpjsonServers ?? []).includes(n),
  );
  const me = (ours.enabledMcpjsonServers ?? []).filter((n) => !ue.includes(n));
  if (ue.length + me.length > 0) merged.enabledMcpjsonServers = [...ue, ...me];
  else delete merged.enabledMcpjsonServers;
  if (me.length) added.enabledMcpjsonServers = me;
  // agency's sandbox and key helper replace the user's own: a folder's settings must not loosen the sandbox
  if (ours.sandbox) merged.sandbox = ours.sandbox;
  if (ours.apiKeyHelper) merged.apiKeyHelper = ours.apiKeyHelper;
  if (merged.$schema === undefined && ours.$schema) merged.$schema = ours.$schema;
  return { merged, added };
}

export function mergeMcp(
  user: Json,
  ours: Record<string, McpServer>,
  prev: Added | undefined,
): { merged: Json; added: Added } {
  const us = (typeof user.mcpServers === 'object' && user.mcpServers !== null ? user.mcpServers : {}) as Json;
  const servers: Json = {};
  for (const [name, s] of Object.entries(us)) if (!(prev?.mcpServers ?? []).includes(name)) servers[name] = s;
  const mine: string[] = [];
  for (const [name, s] of Object.entries(ours)) {
    // the user's own definition of a server wins, except of agency's own: approved and allowed, it must be ours
    if (name in servers && name !== AGENCY_MCP_SERVER) continue;
    servers[name] = s;
    mine.push(name);
  }
  return { merged: { ...user, mcpServers: servers }, added: { mcpServers: mine } };
}
