/**
 * The operator's configuration (conf-backed JSON): `~/.config/agency/config.json`, or the file named by
 * AGENCY_CONFIG. With no nodes, agency uses one local node, named `local`; once nodes are configured, the
 * list is the whole fleet, so the first remote node added brings the local node into the list with it.
 */
import type Conf from 'conf';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';
import { hasUnsafe } from '../protocol/safe-text.js';
import { budgetsSchema, modelsSchema, ratesSchema, type NodeSettings } from '../protocol/economics.js';

export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The name of this machine's node when the configuration lists no nodes. */
export const LOCAL_NODE = 'local';

/** the oldest Node major agency runs on */
export const MIN_NODE_MAJOR = 20;

/** What is wrong with a `runtime.node` version, or null: it is major.minor.patch, 20 or newer. */
export function nodeVersionProblem(v: string): string | null {
  const m = /^(\d+)\.\d+\.\d+$/.exec(v);
  if (!m) return `"${v}" is not a Node version: write major.minor.patch, like 22.23.2`;
  if (Number(m[1]) < MIN_NODE_MAJOR)
    return `Node ${v} is too old: agency runs on Node ${MIN_NODE_MAJOR} or newer; name a ${MIN_NODE_MAJOR}.x.y or later version, or leave runtime.node out for the default`;
  return null;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|\[::1\]|localhost)$/i;

/**
 * What is wrong with a `runtime.registry` URL, or null. It is https (a version that is not pinned in agency
 * is checked against the registry's own integrity, so the registry must be reached over TLS), or http on
 * this machine's loopback (a local mirror); it carries no credentials (they would be shown in messages).
 * The message never repeats the URL's credentials.
 */
export function registryProblem(v: string): string | null {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `"${v.replace(/\/\/[^/@\s]*@/, '//')}" is not a URL: write the registry's address, like https://registry.npmjs.org/`;
  }
  const safe = `${u.protocol}//${u.host}${u.pathname}`;
  if (u.username || u.password)
    return `${safe} is given with credentials: agency sends none to a registry, and would show them in its messages; use a registry that needs no login (a mirror on this machine, say)`;
  if (u.protocol === 'https:') return null;
  if (u.protocol === 'http:')
    return LOOPBACK.test(u.hostname)
      ? null
      : `${safe} is plain http: the Node binary's checksum comes from the registry itself, so it must be reached over https (plain http only on this machine: 127.0.0.1, ::1 or localhost)`;
  return `${safe} is not an http(s) URL: write the registry's address, like https://registry.npmjs.org/`;
}

const nodeSchema = z
  .strictObject({
    name: z.string().regex(NODE_NAME, 'node names are letters, digits, dots, dashes and underscores'),
    /** the machine itself: no SSH (a node may be the operator's own machine) */
    local: z.literal(true).optional(),
    host: z
      .string()
      .refine(
        (h) => h !== '' && !/\s/.test(h) && !hasUnsafe(h),
        'a host is a name or an address, without spaces or control characters',
      )
      .optional(),
    /** an alias of the user's ~/.ssh/config, instead of host/user/port/identityFile */
    ssh: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    identityFile: z.string().min(1).optional(),
    knownHostsFile: z.string().min(1).optional(),
    /**
     * jump hosts to reach the node through, as ssh's ProxyJump: `[user@]host[:port]` or an ~/.ssh/config
     * alias or a configured node's name, comma-separated, first hop first
     */
    jump: z
      .string()
      .refine(
        (j) => j !== '' && !/\s/.test(j) && !hasUnsafe(j),
        'jump hosts are [user@]host[:port], aliases or node names, comma-separated, without spaces',
      )
      .optional(),
    /** which Node the agent runs on: the node's own when it is 20 or newer (auto), always agency's, or the node's */
    runtime: z.enum(['auto', 'bundled', 'system']).optional(),
    /** this node's model routing, over the fleet's `models` */
    models: modelsSchema.optional(),
    /** this node's rate limits, over the fleet's `rates` */
    rates: ratesSchema.optional(),
  })
  .superRefine((n, ctx) => {
    const ways = [n.local ? 'local' : null, n.host ? 'host' : null, n.ssh ? 'ssh' : null].filter(Boolean);
    if (ways.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `node ${n.name} needs exactly one of host, ssh (an ~/.ssh/config alias) or local`,
      });
  });
export type NodeConfig = z.infer<typeof nodeSchema>;

const configSchema = z
  .looseObject({
    nodes: z.array(nodeSchema).default([]),
    theme: z.string().optional(),
    /** ring the terminal bell when something needs the operator (older name of notify.bell) */
    bell: z.boolean().optional(),
    /** seconds between refreshes of the cockpit's tiles and lists (decisions and links show at once) */
    refresh: z.number().min(0.1).max(60).optional(),
    /** the organisation given to the nodes (`agency org apply`): the folder that holds its org.yaml */
    org: z.string().min(1).optional(),
    /** budgets: per session, per VP per day, for the fleet per day (docs/economics.md) */
    budgets: budgetsSchema.optional(),
    /** token buckets: session starts per minute per VP, tokens per minute per node */
    rates: ratesSchema.optional(),
    /** which model sessions and workers use, over their disciplines' */
    models: modelsSchema.optional(),
    /** how the operator is told what needs them: the bell, OS notifications, a command of theirs */
    notify: z
      .strictObject({
        bell: z.boolean().optional(),
        os: z.boolean().optional(),
        /** run with the details in its environment (AGENCY_NOTIFY_*), through /bin/sh */
        command: z.string().min(1).optional(),
      })
      .optional(),
    /** the Node runtime `agency push` installs on nodes that need one: its version, and the npm registry it comes from */
    runtime: z
      .strictObject({
        node: z
          .string()
          .superRefine((v, ctx) => {
            const why = nodeVersionProblem(v);
            if (why) ctx.addIssue({ code: 'custom', message: why });
          })
          .optional(),
        registry: z
          .string()
          .superRefine((v, ctx) => {
            const why = registryProblem(v);
            if (why) ctx.addIssue({ code: 'custom', message: why });
          })
          .optional(),
      })
      .optional(),
    /** `agency intake slack`: the channel it takes tasks from, and who may answer decisions there */
    slack: z
      .strictObject({
        channel: z.string().min(1).optional(),
        allowedUsers: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/)).default([]),
        /** also take mentions and the slash command in other channels than `channel` */
        anyChannel: z.boolean().optional(),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.nodes.forEach((n, i) => {
      if (seen.has(n.name))
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `node ${n.name} is configured twice` });
      seen.add(n.name);
    });
  });
export type OperatorConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.AGENCY_CONFIG || join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'agency', 'config.json')
  );
}

/**
 * The file's writer. conf takes about 100 ms to load, so it is loaded only by the commands that change the
 * configuration; every command reads it (readConfigObject), and reading needs no more than JSON.parse.
 */
async function store(path: string): Promise<Conf<Record<string, unknown>>> {
  const { default: Conf } = await import('conf');
  const ext = extname(path);
  try {
    return new Conf({
      cwd: dirname(path),
      configName: basename(path, ext),
      fileExtension: ext.replace(/^\./, '') || 'json',
      projectSuffix: '',
      configFileMode: 0o600,
      clearInvalidConfig: false,
    });
  } catch (e) {
    throw new ConfigError(`${path} cannot be read: ${(e as Error).message}`);
  }
}

/** The file's top-level object: {} when there is no file; a file that is not a JSON object is refused. */
function readConfigObject(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`${path} cannot be read: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path} cannot be read: it is not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigError(
      `${path}: the configuration must be a JSON object, like {"nodes": []}, not ${data === null ? 'null' : Array.isArray(data) ? 'a list' : `a ${typeof data}`}`,
    );
  return data;
}

export function loadConfig(path = configPath()): OperatorConfig {
  const r = configSchema.safeParse(readConfigObject(path));
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ConfigError(`${path}: ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  return r.data;
}

export interface SavedNode {
  /** a node of that name was configured before, and is replaced */
  replaced: boolean;
  /** the list was empty (the local node implied), so the local node was written into it first */
  localAdded: boolean;
}

/**
 * Adds or replaces a node; the rest of the file is kept as it was. A remote node added to a configuration
 * that lists none comes after an explicit `{"name": "local", "local": true}`: the local node that was
 * implied stays in the fleet (`agency nodes remove local` takes it out).
 */
export async function saveNode(node: NodeConfig, path = configPath()): Promise<SavedNode> {
  const r = nodeSchema.safeParse(node);
  if (!r.success) throw new ConfigError(r.error.issues[0]!.message);
  const config = loadConfig(path);
  const replaced = config.nodes.some((n) => n.name === node.name);
  const localAdded = config.nodes.length === 0 && !node.local && node.name !== LOCAL_NODE;
  const nodes: NodeConfig[] = localAdded
    ? [{ name: LOCAL_NODE, local: true }]
    : config.nodes.filter((n) => n.name !== node.name);
  nodes.push(r.data);
  (await store(path)).set('nodes', nodes);
  return { replaced, localAdded };
}

/** Records the organisation given to the nodes (`agency org apply`): the folder of its org.yaml, absolute. */
export async function saveOrg(dir: string, path = configPath()): Promise<void> {
  loadConfig(path);
  (await store(path)).set('org', dir);
}

export async function removeNode(name: string, path = configPath()): Promise<boolean> {
  const config = loadConfig(path);
  const nodes = config.nodes.filter((n) => n.name !== name);
  if (nodes.length === config.nodes.length) return false;
  (await store(path)).set('nodes', nodes);
  return true;
}

/** What the config gives one node: the fleet's budgets, rates and models, with the node's own over them. */
export function nodeSettingsFor(config: OperatorConfig, node: string): NodeSettings {
  const n = config.nodes.find((x) => x.name === node);
  const rates = config.rates || n?.rates ? { ...config.rates, ...n?.rates } : undefined;
  const models =
    config.models || n?.models
      ? {
          ...config.models,
          ...n?.models,
          ...(config.models?.disciplines || n?.models?.disciplines
            ? { disciplines: { ...config.models?.disciplines, ...n?.models?.disciplines } }
            : {}),
        }
      : undefined;
  return {
    ...(config.budgets ? { budgets: config.budgets } : {}),
    ...(rates ? { rates } : {}),
    ...(models ? { models } : {}),
  };
}
