/** `npm run lint` enforces the dependency map of DESIGN.md §2, with the project's own ESLint config. */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: repoRoot });

const MAP_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);

/** The dependency-map problems ESLint reports for `code` as if it were the file at `filePath`. */
async function refusals(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId && MAP_RULES.has(m.ruleId)).map((m) => m.message);
}

describe('the dependency map', () => {
  it.each([
    [
      'src/tui/x.ts',
      "import '../cli/output.js';",
      /DESIGN\.md §2: tui\/ imports only cockpit\/, terminal\/ and protocol\//,
    ],
    [
      'src/tui/components/X.tsx',
      "import { EXIT } from '../../cli/output.js';\nexport const e = EXIT;",
      /DESIGN\.md §2: tui\/ imports only cockpit\/, terminal\/ and protocol\//,
    ],
    ['src/cockpit/x.ts', "import 'ssh2';", /DESIGN\.md §2: only fleet\/ imports ssh2/],
    [
      'src/fleet/x.ts',
      "export const load = () => import('../node/paths.js');",
      /DESIGN\.md §2: fleet\/ imports only config\/, protocol\/ and paths\//,
    ],
    [
      'src/fleet/x.ts',
      'export const load = () => import(`../compiler/index.js`);',
      /DESIGN\.md §2: fleet\/ imports only config\/, protocol\/ and paths\//,
    ],
    ['src/node/x.ts', "import 'node-pty';", /DESIGN\.md §2: only session\/ imports node-pty/],
    ['src/cockpit/x.ts', "import type { NodePaths } from '../paths/node-home.js';", /cockpit\/ imports only fleet\//],
    ['src/cockpit/x.ts', "export { NodeManager } from '../node/manager.js';", /cockpit\/ imports only fleet\//],
    ['src/protocol/x.ts', "import '../paths/package.js';", /DESIGN\.md §2: protocol\/ imports nothing of ours/],
    ['src/registry/x.ts', "import '../compiler/index.js';", /DESIGN\.md §2: registry\/ imports only protocol\//],
    ['src/compiler/x.ts', "import '../tui/theme.js';", /DESIGN\.md §2: nothing imports tui\//],
    [
      'src/cli/x.ts',
      "import '../tui/keys.js';",
      /DESIGN\.md §2: nothing imports tui\/; cli\/ starts it through tui\/run/,
    ],
    ['src/cli/x.ts', "await import('../tui/mount.js');", /nothing imports tui\//],
    ['src/terminal/x.ts', "import 'react/jsx-runtime';", /DESIGN\.md §2: only tui\/ imports react/],
    ['src/node/x.ts', "import 'handlebars';", /DESIGN\.md §2: only compiler\/ and genesis\/ import handlebars/],
  ])('%s: %s is refused, naming the rule', async (filePath, code, message) => {
    const found = await refusals(filePath, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it.each([
    [
      'src/tui/x.ts',
      "import type { Summary } from '../cockpit/types.js';\nimport { Box } from 'ink';\nexport { Box };",
    ],
    [
      'src/tui/components/X.tsx',
      "import '../keys.js';\nimport '../../cockpit/types.js';\nimport '../../protocol/index.js';",
    ],
    ['src/tui/theme-x.ts', "import '../../themes/default.json';"],
    ['src/node/x.ts', "import { Session } from '../session/session.js';\nexport const s = Session;"],
    ['src/session/x.ts', "import 'node-pty';\nimport '../terminal/index.js';"],
    ['src/cli/x.ts', "await import('../tui/run.js');\nimport '../node/daemon.js';\nimport '../config/config.js';"],
    ['src/fleet/x.ts', "import 'ssh2';\nimport '../paths/node-home.js';\nimport '../config/config.js';"],
    ['src/compiler/x.ts', "import 'handlebars';\nimport '../guard/policy.js';\nimport '../registry/index.js';"],
    ['src/terminal/x.ts', "import '../protocol/index.js';\nimport '@xterm/headless';"],
    ['test/tui/x.test.ts', "import '../../src/cli/output.js';\nimport 'node-pty';\nimport 'ink-testing-library';"],
  ])('%s: %s is allowed', async (filePath, code) => {
    expect(await refusals(filePath, code)).toEqual([]);
  });

  it('holds every folder of src/ to its place', async () => {
    const folders = readdirSync(new URL('../../src', import.meta.url), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders).toContain('tui');
    for (const folder of folders) {
      // a package every folder but one is refused: a folder missing from the map would let it through
      const code = folder === 'fleet' ? "import 'node-pty';" : "import 'ssh2';";
      expect(await refusals(`src/${folder}/x.ts`, code), folder).toHaveLength(1);
    }
  });

  it('the source tree keeps the map', async () => {
    const results = await eslint.lintFiles(['src']);
    const broken = results.flatMap((r) =>
      r.messages
        .filter((m) => m.message.includes('DESIGN.md §2'))
        .map((m) => `${r.filePath.slice(repoRoot.length)}:${m.line}: ${m.message}`),
    );
    expect(broken).toEqual([]);
  });
});
