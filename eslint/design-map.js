/**
 * The dependency map of DESIGN.md §2 as data, and the ESLint configs that enforce it on src/. A rule that must
 * change changes in DESIGN.md first, then here. Tests, bench and scripts are not subject to it.
 *
 * Each top-level folder of src/ lists the folders of ours it may import (besides itself); every other folder
 * of ours is refused, static imports and re-exports by `no-restricted-imports`, `import('…')` with a literal
 * source by `no-restricted-syntax`. Each restricted package names the folders that may import it.
 */

/** The leaves: `protocol/` is what every part speaks, `paths/` says where files are; neither imports ours. */
const LEAVES = ['protocol', 'paths'];

/**
 * folder → { may: the folders of ours it may import, why?: the reason shown with a refusal }.
 * Folders not yet written (dispatch, budget, audit, genesis, intake, notify) are held to their place already.
 */
export const FOLDERS = {
  protocol: { may: [], why: 'the frames every part speaks depend on nothing' },
  paths: { may: [], why: 'where files are depends on nothing' },
  registry: { may: [...LEAVES] },
  config: { may: [...LEAVES] },
  guard: { may: [...LEAVES], why: 'the guard is a standalone hook program' },
  terminal: { may: [...LEAVES] },
  worktree: { may: [...LEAVES] },
  session: { may: ['terminal', ...LEAVES] },
  compiler: { may: ['registry', 'guard', ...LEAVES] },
  fleet: {
    may: ['config', ...LEAVES],
    why: 'the cockpit imports fleet/, so fleet/ must not import node/ or compiler/ either',
  },
  cockpit: { may: ['fleet', 'protocol'], why: 'it reaches nodes through fleet/ and protocol/ alone' },
  tui: { may: ['cockpit', 'terminal', 'protocol'], why: 'it renders cockpit/ state' },
  node: {
    may: ['compiler', 'worktree', 'session', 'dispatch', 'budget', 'audit', 'registry', 'guard', 'terminal', ...LEAVES],
  },
  dispatch: { may: ['compiler', 'registry', 'worktree', ...LEAVES], why: 'node/ wires it to the session table' },
  budget: { may: [...LEAVES], why: 'node/ wires it to the session table' },
  audit: { may: [...LEAVES], why: 'node/ wires it to the session table' },
  genesis: { may: ['registry', 'compiler', ...LEAVES] },
  intake: { may: ['cockpit', ...LEAVES], why: 'it talks to nodes through cockpit/, like the TUI' },
  notify: { may: ['cockpit', ...LEAVES], why: 'it talks to nodes through cockpit/, like the TUI' },
  /** the composition root: everything but the TUI's insides (it starts the TUI through tui/run) */
  cli: { may: 'all', tuiEntry: 'run' },
};

/** package → the folders that may import it */
export const PACKAGES = {
  'node-pty': ['session'],
  ssh2: ['fleet'],
  'simple-git': ['worktree'],
  ink: ['tui'],
  react: ['tui'],
  'ink-testing-library': ['tui'],
  handlebars: ['compiler', 'genesis'],
  '@anthropic-ai/sdk': ['genesis'],
  '@slack/bolt': ['intake'],
  '@xterm/headless': ['terminal'],
  '@modelcontextprotocol/sdk': ['dispatch'],
};

const RULE = 'DESIGN.md §2';
const ALL = Object.keys(FOLDERS);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** one or more `../` then one of the folders: `../cli/x.js` from src/tui/, `../../cli/x.js` from src/tui/components/ */
const folderRegex = (names, tail = '(/|$)') => `^(\\.\\./)+(${names.map(escape).join('|')})${tail}`;
const packageRegex = (name) => `^${escape(name)}(/|$)`;

const listed = (names) => {
  const shown = names.map((n) => `${n}/`);
  return shown.length < 2 ? shown.join('') : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
};

/** The refusals for one folder: { regex, message } for imports of ours and of packages. */
export function refusalsFor(folder) {
  const spec = FOLDERS[folder];
  const refusals = [];
  if (spec.may === 'all') {
    refusals.push({
      regex: folderRegex(['tui'], `(/(?!${escape(spec.tuiEntry)}(\\.js)?$)|$)`),
      message: `${RULE}: nothing imports tui/; ${folder}/ starts it through tui/${spec.tuiEntry} only`,
    });
  } else {
    const refused = ALL.filter((f) => f !== folder && !spec.may.includes(f));
    const may = spec.may.length ? `imports only ${listed(spec.may)}` : 'imports nothing of ours';
    if (refused.includes('tui')) {
      refusals.push({ regex: folderRegex(['tui']), message: `${RULE}: nothing imports tui/ (the cli starts it)` });
    }
    const others = refused.filter((f) => f !== 'tui');
    if (others.length) {
      refusals.push({
        regex: folderRegex(others),
        message: `${RULE}: ${folder}/ ${may}${spec.why ? `: ${spec.why}` : ''}`,
      });
    }
  }
  for (const [pkg, homes] of Object.entries(PACKAGES)) {
    if (!homes.includes(folder))
      refusals.push({
        regex: packageRegex(pkg),
        message: `${RULE}: only ${listed(homes)} ${homes.length > 1 ? 'import' : 'imports'} ${pkg}`,
      });
  }
  return refusals;
}

/** An esquery regex literal: a `/` inside it must be escaped. */
const selectorRegex = (regex) => `/${regex.replace(/(?<!\\)\//g, '\\/')}/`;

/** One ESLint config object per folder of src/. */
export function designMapConfigs() {
  return ALL.map((folder) => {
    const refusals = refusalsFor(folder);
    return {
      name: `design-map/${folder}`,
      files: [`src/${folder}/**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}`],
      rules: {
        'no-restricted-imports': ['error', { patterns: refusals.map(({ regex, message }) => ({ regex, message })) }],
        'no-restricted-syntax': [
          'error',
          ...refusals.flatMap(({ regex, message }) => [
            { selector: `ImportExpression > Literal.source[value=${selectorRegex(regex)}]`, message },
            {
              selector: `ImportExpression > TemplateLiteral.source[expressions.length=0] > TemplateElement[value.cooked=${selectorRegex(regex)}]`,
              message,
            },
          ]),
        ],
      },
    };
  });
}
