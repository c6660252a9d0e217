/**
 * What Claude Code v2.1.197 accepts in the files agency writes for it. Claude Code skips an invalid
 * settings file silently in `-p` and whole in the TUI, and ignores unknown subagent keys, so agency
 * checks its inputs and its outputs against these shapes itself.
 */
import { z } from 'zod';

export const HOOK_EVENTS = [
  'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PostToolBatch', 'Notification', 'UserPromptSubmit',
  'UserPromptExpansion', 'SessionStart', 'SessionEnd', 'Stop', 'StopFailure', 'SubagentStart', 'SubagentStop',
  'PreCompact', 'PostCompact', 'PermissionRequest', 'PermissionDenied', 'Setup', 'TeammateIdle', 'TaskCreated',
  'TaskCompleted', 'Elicitation', 'ElicitationResult', 'ConfigChange', 'WorktreeCreate', 'WorktreeRemove',
  'InstructionsLoaded', 'CwdChanged', 'FileChanged', 'MessageDisplay',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/** Events whose matcher Claude Code ignores: a matcher there is a mistake. */
const NO_MATCHER_EVENTS = new Set<string>([
  'UserPromptSubmit', 'Stop', 'PostToolBatch', 'TeammateIdle', 'TaskCreated', 'TaskCompleted',
  'WorktreeCreate', 'WorktreeRemove', 'MessageDisplay',
]);

export const PERMISSION_MODES = ['acceptEdits', 'auto', 'bypassPermissions', 'default', 'dontAsk', 'plan'] as const;
/** Modes a compiled session may start in: never one that turns the guard's rules off or that projects cannot set. */
export const COMPILED_PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'dontAsk'] as const;

export const BUILTIN_TOOLS = [
  'Agent', 'Task', 'Bash', 'BashOutput', 'Edit', 'ExitPlanMode', 'Glob', 'Grep', 'KillShell', 'LS', 'MultiEdit',
  'NotebookEdit', 'NotebookRead', 'Read', 'SlashCommand', 'Skill', 'TodoWrite', 'WebFetch', 'WebSearch', 'Write',
] as const;
const BUILTIN = new Set<string>(BUILTIN_TOOLS);
const MCP_TOOL = /^mcp__[A-Za-z0-9_-]+(__[A-Za-z0-9_*-]+)?$/;

/** Tools whose path specifiers Claude Code never consults: `Write(./x)` looks like a rule and does nothing. */
const PATHLESS_SPECIFIER_TOOLS = new Set(['Write', 'Glob', 'NotebookEdit', 'MultiEdit']);

/** Checks one permission rule; returns what is wrong with it, or null. */
export function permissionRuleProblem(rule: string): string | null {
  const m = /^([A-Za-z][A-Za-z0-9_]*|mcp__[A-Za-z0-9_*-]+(?:__[A-Za-z0-9_*-]+)?)(?:\((.*)\))?$/s.exec(rule);
  if (!m) return `permission rule ${JSON.stringify(rule)} is not of the form Tool or Tool(specifier)`;
  const tool = m[1] as string;
  const spec = m[2];
  if (!BUILTIN.has(tool) && !MCP_TOOL.test(tool)) return `permission rule ${JSON.stringify(rule)} names unknown tool ${JSON.stringify(tool)}`;
  if (spec !== undefined && spec.trim() === '') return `permission rule ${JSON.stringify(rule)} has an empty specifier`;
  if (spec !== undefined && PATHLESS_SPECIFIER_TOOLS.has(tool))
    return `permission rule ${JSON.stringify(rule)} is never consulted by Claude Code: put path rules on Edit(...) or Read(...)`;
  if (spec !== undefined && /[\n\r]/.test(spec)) return `permission rule ${JSON.stringify(rule)} contains a line break`;
  return null;
}

export function toolNameProblem(name: string): string | null {
  if (BUILTIN.has(name) || MCP_TOOL.test(name)) return null;
  return `unknown tool ${JSON.stringify(name)}`;
}

const ruleSchema = z.string().superRefine((rule, ctx) => {
  const p = permissionRuleProblem(rule);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});

export const permissionsSchema = z.strictObject({
  allow: z.array(ruleSchema).optional(),
  ask: z.array(ruleSchema).optional(),
  deny: z.array(ruleSchema).optional(),
  defaultMode: z.enum(PERMISSION_MODES).optional(),
  additionalDirectories: z.array(z.string()).optional(),
  disableBypassPermissionsMode: z.literal('disable').optional(),
});

const timeout = z.number().positive().max(3600);
const commandHandler = z.strictObject({
  type: z.literal('command'),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  timeout: timeout.optional(),
  async: z.boolean().optional(),
  asyncRewake: z.boolean().optional(),
  shell: z.enum(['bash', 'powershell']).optional(),
  statusMessage: z.string().optional(),
  if: z.string().optional(),
});
const httpHandler = z.strictObject({
  type: z.literal('http'),
  url: z.string().url(),
  headers: z.record(z.string(), z.string()).optional(),
  allowedEnvVars: z.array(z.string()).optional(),
  timeout: timeout.optional(),
  statusMessage: z.string().optional(),
  if: z.string().optional(),
});
const promptHandler = z.strictObject({
  type: z.enum(['prompt', 'agent']),
  prompt: z.string().min(1),
  model: z.string().optional(),
  timeout: timeout.optional(),
  statusMessage: z.string().optional(),
  if: z.string().optional(),
});
export const hookHandlerSchema = z.discriminatedUnion('type', [commandHandler, httpHandler, promptHandler]);

export const matcherGroupSchema = z.strictObject({
  matcher: z.string().optional(),
  hooks: z.array(hookHandlerSchema).min(1),
});

export const hooksSchema = z
  .record(z.string(), z.array(matcherGroupSchema))
  .superRefine((hooks, ctx) => {
    for (const [event, groups] of Object.entries(hooks)) {
      if (!(HOOK_EVENTS as readonly string[]).includes(event)) {
        ctx.addIssue({ code: 'custom', path: [event], message: `unknown hook event ${JSON.stringify(event)}` });
        continue;
      }
      groups.forEach((g, i) => {
        if (g.matcher !== undefined && g.matcher !== '' && g.matcher !== '*' && NO_MATCHER_EVENTS.has(event))
          ctx.addIssue({ code: 'custom', path: [event, i, 'matcher'], message: `${event} hooks take no matcher; Claude Code would ignore it` });
        if (g.matcher && /^mcp__[A-Za-z0-9_-]+$/.test(g.matcher))
          ctx.addIssue({ code: 'custom', path: [event, i, 'matcher'], message: `matcher ${JSON.stringify(g.matcher)} matches no tool; use "${g.matcher}__.*"` });
      });
    }
  });

const paths = z.array(z.string().min(1));

/**
 * Claude Code's OS sandbox for Bash and everything it starts (Seatbelt on macOS, bubblewrap and socat on
 * Linux), as v2.1.197 reads it. Paths: absolute, `~/…`, or relative to the settings file's project root.
 */
export const sandboxSchema = z.strictObject({
  enabled: z.boolean().optional(),
  failIfUnavailable: z.boolean().optional(),
  autoAllowBashIfSandboxed: z.boolean().optional(),
  allowUnsandboxedCommands: z.boolean().optional(),
  network: z
    .strictObject({
      allowedDomains: z.array(z.string().min(1)).optional(),
      deniedDomains: z.array(z.string().min(1)).optional(),
      allowUnixSockets: paths.optional(),
      allowAllUnixSockets: z.boolean().optional(),
      allowLocalBinding: z.boolean().optional(),
      httpProxyPort: z.number().int().optional(),
      socksProxyPort: z.number().int().optional(),
    })
    .optional(),
  filesystem: z
    .strictObject({
      allowWrite: paths.optional(),
      denyWrite: paths.optional(),
      denyRead: paths.optional(),
      allowRead: paths.optional(),
    })
    .optional(),
  credentials: z
    .strictObject({
      files: z.array(z.strictObject({ path: z.string().min(1), mode: z.literal('deny') })).optional(),
      envVars: z
        .array(z.strictObject({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), mode: z.literal('deny') }))
        .optional(),
    })
    .optional(),
  excludedCommands: z.array(z.string()).optional(),
  enableWeakerNestedSandbox: z.boolean().optional(),
});

/** `.claude/settings.json` and `.claude/settings.local.json`, as far as agency writes them. */
export const settingsSchema = z.object({
  $schema: z.string().optional(),
  permissions: permissionsSchema.optional(),
  hooks: hooksSchema.optional(),
  env: z.record(z.string(), z.string()).optional(),
  model: z.string().optional(),
  enabledMcpjsonServers: z.array(z.string()).optional(),
  enableAllProjectMcpServers: z.boolean().optional(),
  disableAllHooks: z.boolean().optional(),
  sandbox: sandboxSchema.optional(),
  /** a command Claude Code runs (outside the sandbox) whose output is the API key */
  apiKeyHelper: z.string().min(1).optional(),
});
export type ClaudeSettings = z.infer<typeof settingsSchema>;

const SECRET_NAME = /(TOKEN|KEY|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIAL|COOKIE)/i;
const PURE_REFERENCE = /^(?:[A-Za-z]+ )?\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/** A secret-looking name must hold a `${VAR}` reference (optionally after a scheme word such as `Bearer`). */
function secretRefinement(kind: string) {
  return (rec: Record<string, string> | undefined, ctx: z.RefinementCtx) => {
    for (const [name, value] of Object.entries(rec ?? {})) {
      if (SECRET_NAME.test(name) && !PURE_REFERENCE.test(value))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${kind} ${name} looks like a secret: write a reference such as \${${name.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase()}} instead of a value`,
        });
    }
  };
}

/**
 * What 2.1.197 takes besides: `timeout`, the longest a call to one of the server's tools may run (ms; over
 * MCP_TOOL_TIMEOUT), and `alwaysLoad`, its tools always in the prompt (never behind tool search).
 */
const serverOptions = {
  timeout: z.int().positive().optional(),
  alwaysLoad: z.boolean().optional(),
};
const stdioServer = z.strictObject({
  type: z.literal('stdio'),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional().superRefine(secretRefinement('env variable')),
  ...serverOptions,
});
const remoteServer = z.strictObject({
  type: z.enum(['http', 'sse']),
  url: z.string().regex(/^https?:\/\/[^\s]+$/, 'url must be an http(s) URL'),
  headers: z.record(z.string(), z.string()).optional().superRefine(secretRefinement('header')),
  ...serverOptions,
});
export const mcpServerSchema = z.discriminatedUnion('type', [stdioServer, remoteServer], {
  error: (iss) => (iss.code === 'invalid_union' ? 'server.type must be "stdio", "http" or "sse" (Claude Code skips an entry without a type)' : undefined),
});
export type McpServer = z.infer<typeof mcpServerSchema>;

export const mcpJsonSchema = z.strictObject({ mcpServers: z.record(z.string(), mcpServerSchema) });
