/**
 * The dialogs of claude-code-facts.md §10, verbatim (v2.1.197 via tmux capture-pane at 120×40), and
 * helpers that place one at the bottom of a screen and re-wrap it at another width, as Claude Code's
 * renderer does (word wrap, continuation lines hanging under the label of an option).
 */

export const TRUST = `
 Accessing workspace:

 /scratch/proj2

 Quick safety check: Is this a project you created or one you trust? (Like your own code, a well-known open source
 project, or work from your team). If not, take a moment to review what's in this folder first.

 Claude Code'll be able to read, edit, and execute files here.

 Security guide

 ❯ 1. Yes, I trust this folder
   2. No, exit

 Enter to confirm · Esc to cancel`;

export const TRUST_PREAPPROVES = `
 Accessing workspace:

 /scratch/proj2

 Quick safety check: Is this a project you created or one you trust? (Like your own code, a well-known open source
 project, or work from your team). If not, take a moment to review what's in this folder first.

 Claude Code'll be able to read, edit, and execute files here.

 ⚠ This folder pre-approves 1 tool permission in .claude/settings.json:
   Bash(npm run *)
 ⚠ This folder adds 1 directory to the workspace in .claude/settings.json:
   /scratch/mock
 These will apply without asking. Only proceed if you trust this configuration.

 Security guide

 ❯ 1. Yes, I trust this folder
   2. No, exit

 Enter to confirm · Esc to cancel`;

/** ~v2.1.252: "No, exit" listed first and pre-selected (gastownhall/gastown#4821, anthropics/claude-code#90582). */
export const TRUST_FLIPPED = TRUST.replace(
  ' ❯ 1. Yes, I trust this folder\n   2. No, exit',
  ' ❯ 1. No, exit\n   2. Yes, I trust this folder',
);

/** v2.1.19, as captured in AgentWorkforce/relay#756. */
export const TRUST_OLD = `
Do you trust the files in this folder?
/project
Claude Code may read, write, or execute files contained in this directory.
This can pose security risks, so only use files from trusted sources.

Learn more

❯ 1. Yes, proceed
  2. No, exit

Enter to confirm · Esc to cancel`;

export const API_KEY = `
  Detected a custom API key in your environment

  ANTHROPIC_API_KEY: sk-ant-...xxxxxxxxxxABCDEFGHIJ

  Do you want to use this API key?

    1. Yes
  ❯ 2. No (recommended)

  Enter to confirm · Esc to cancel`;

export const MCP_SERVERS = `
  2 new MCP servers found in this project
  Select any you wish to enable.

  MCP servers may execute code or access system resources. All tool calls require approval. Learn more in the MCP
  documentation.

  ❯ [✔] fs
    [✔] web
 Space to select · Enter to confirm · Esc to reject all`;

/** The single-server dialog: strings from [BIN] in the order the real 2.1.197 screen shows them. */
export const MCP_SINGLE = `
  New MCP server found in this project: notes

  MCP servers may execute code or access system resources. All tool calls require approval. Learn more in the MCP
  documentation.

  ❯ 1. Use this MCP server
    2. Use this and all future MCP servers in this project
    3. Continue without using this MCP server

  Enter to confirm · Esc to cancel`;

export const EXTERNAL_IMPORTS = `
  Allow external CLAUDE.md file imports?

  This project's CLAUDE.md imports files outside the current working directory. Never allow this for third-party
  repositories.

  External imports:
    /scratch/mock/external.md

  ❯ 1. Yes, allow external imports
    2. No, disable external imports`;

export const BYPASS = `
  WARNING: Claude Code running in Bypass Permissions mode

  In Bypass Permissions mode, Claude Code will not ask for your approval before running potentially dangerous
  commands.
  This mode should only be used in a sandboxed container/VM that has restricted internet access and can easily be
  restored if damaged.

  By proceeding, you accept all responsibility for actions taken while running in Bypass Permissions mode.

  https://code.claude.com/docs/en/security

  ❯ 1. No, exit
    2. Yes, I accept`;

export const SETTINGS_ERROR = `
  Settings Error

  /scratch/proj5/.claude/settings.json
  ├ hooks.PreToolUse.0.hooks: Expected array, but received undefined
  └ permissions.defaultMode: Invalid value. Expected one of: "acceptEdits", "auto", "bypassPermissions", "default",
    "dontAsk", "plan"

  Files with errors are skipped entirely, not just the invalid settings.

  ❯ 1. Fix with Claude
    2. Exit and fix manually
    3. Continue without these settings`;

export const BASH = `
 Bash command

   rm -rf build_tmp_dir
   Remove temp dir

 Do you want to proceed?
 ❯ 1. Yes
   2. Yes, and always allow access to proj2/ from this project
   3. No

 Esc to cancel · Tab to amend · ctrl+e to explain`;

/** Note the curly apostrophe in don’t (U+2019). */
export const BASH_PREFIX = `
 Bash command

   npm run test:unit
   Run unit tests

 This command requires approval

 Do you want to proceed?
 ❯ 1. Yes
   2. Yes, and don’t ask again for: npm run *
   3. No`;

export const WRITE = `
 Create file
 written.txt
╌╌╌╌╌╌╌╌
  1 hello
╌╌╌╌╌╌╌╌
 Do you want to create written.txt?
 ❯ 1. Yes
   2. Yes, allow all edits during this session (shift+tab)
   3. No

 Esc to cancel · Tab to amend`;

/** The Edit prompt's question per [BIN] (six-ddc/ccbot#21), laid out as the real 2.1.197 screen is. */
export const EDIT = `
 Edit file
 src/app.ts
╌╌╌╌╌╌╌╌
 12 -const port = 3000;
 12 +const port = 8080;
╌╌╌╌╌╌╌╌
 Do you want to make this edit to app.ts?
 ❯ 1. Yes
   2. Yes, allow all edits during this session (shift+tab)
   3. No

 Esc to cancel · Tab to amend`;

export const WEBFETCH = `
 Fetch

   url: "https://example.org/page", prompt: "summarize"
   Claude wants to fetch content from example.org

 Do you want to allow Claude to fetch this content?
 ❯ 1. Yes
   2. Yes, and don't ask again for example.org
   3. No, and tell Claude what to do differently (esc)`;

/** Transcript that a session shows above a dialog. */
export const TRANSCRIPT = [
  ' ▐▛███▜▌   Claude Code v2.1.197',
  '▝▜█████▛▘  Opus 4.8 (1M context) · API Usage Billing',
  '  ▘▘ ▝▝    /scratch/proj2',
  '',
  '',
  '❯ do the task',
  '',
  '● I will clean up first. The plan:',
  '  1. Remove the temp dir',
  '  2. Run the tests',
  '',
  '● Bash(rm -rf build_tmp_dir)',
  '  ⎿  Waiting…',
  '',
];

export function rule(cols: number): string {
  return '─'.repeat(cols);
}

/** The idle input box with its footer, as drawn at `cols`. */
export function idleBox(cols: number, input = ''): string[] {
  const status = '  ? for shortcuts · ← for agents';
  return [rule(cols), `❯ ${input}`, rule(cols), status.padEnd(cols - 16) + '● high · /effort'];
}

/**
 * A screen of `rows` lines: `above` (the transcript), a rule, then the dialog, then blank rows; the
 * dialog sits at the bottom when `above` fills the rest. Lines are cut or padded to `cols` as a
 * terminal would show them.
 */
export function screen(
  dialog: string | string[],
  opts: { cols?: number; rows?: number; above?: string[]; below?: string[]; noRule?: boolean } = {},
): string[] {
  const cols = opts.cols ?? 120;
  const rows = opts.rows ?? 40;
  const body = typeof dialog === 'string' ? dialog.replace(/^\n/, '').split('\n') : dialog;
  const lines = [
    ...(opts.above ?? TRANSCRIPT),
    ...(opts.noRule ? [] : [rule(cols)]),
    ...body,
    '',
    ...(opts.below ?? []),
  ];
  const visible = lines.slice(Math.max(0, lines.length - rows));
  while (visible.length < rows) visible.push('');
  return visible.map((l) => [...l].slice(0, cols).join(''));
}

const OPTION = /^(\s*(?:❯\s*)?\d+\.\s*)(.*)$/;

function wrapWords(text: string, first: string, hang: string, cols: number): string[] {
  const out: string[] = [];
  let line = first;
  let fresh = true;
  for (const word of text.split(' ').filter(Boolean)) {
    if (!fresh && [...line].length + 1 + [...word].length > cols) {
      out.push(line);
      line = hang + word;
    } else {
      line += (fresh ? '' : ' ') + word;
    }
    fresh = false;
  }
  out.push(line);
  return out;
}

/**
 * The dialog as Claude Code draws it at another width: prose paragraphs (runs of lines with the same
 * indent) are unwrapped and wrapped again at `cols` with their indent; an option's label wraps under
 * its first character.
 */
export function rewrap(dialog: string, cols: number): string[] {
  const lines = dialog.replace(/^\n/, '').split('\n');
  const out: string[] = [];
  let para: string[] = [];
  let indent = '';
  const flush = () => {
    if (para.length) out.push(...wrapWords(para.join(' '), indent, indent, cols));
    para = [];
  };
  for (const line of lines) {
    const lead = /^\s*/.exec(line)?.[0] ?? '';
    const opt = OPTION.exec(line);
    if (line.trim() === '' || /^[╌─]+$/.test(line.trim()) || opt || /^\s*[❯>]?\s*\[.\]/.test(line)) {
      flush();
      if (opt) out.push(...wrapWords(opt[2] ?? '', opt[1] ?? '', ' '.repeat([...(opt[1] ?? '')].length), cols));
      else out.push(/^[╌─]+$/.test(line.trim()) ? line.trim().charAt(0).repeat(Math.min(cols, 8)) : line);
      continue;
    }
    // a new indent, a tree branch, a warning or a path starts a new paragraph
    if (para.length && (lead !== indent || /^\s*[├└⚠/]/.test(line))) flush();
    if (!para.length) indent = lead;
    para.push(line.trim());
  }
  flush();
  return out;
}
