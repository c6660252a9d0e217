// Builds agency into dist/: the CLI as one ESM bundle, and each program Claude Code starts for a session
// (the guard, the lifecycle hook, the MCP server) as a self-contained CommonJS file so that it starts as
// fast as Node can.
import { build } from 'esbuild';
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
};

/** packages with native addons (or that load them): resolved from node_modules at run time */
const NATIVE = ['node-pty', 'ssh2', 'cpu-features'];
/** optional: ink imports it only when DEV=true (and says how to install it if it is missing) */
const OPTIONAL = ['react-devtools-core'];

/**
 * The MCP SDK's server loads Ajv (and its formats) for a JSON Schema validator that agency's MCP server
 * never uses (it is given its own, and validates nothing itself): left out, the server starts about 20 ms
 * sooner with every session. A server built without a validator of its own fails at start, loudly.
 */
const withoutAjv = {
  name: 'without-ajv',
  setup(b) {
    b.onResolve({ filter: /\/validation\/ajv-provider\.js$/ }, () => ({ path: 'ajv-provider', namespace: 'no-ajv' }));
    b.onLoad({ filter: /.*/, namespace: 'no-ajv' }, () => ({
      contents:
        'export class AjvJsonSchemaValidator { constructor() { throw new Error("this build has no Ajv: give the MCP server a jsonSchemaValidator"); } }',
      loader: 'js',
    }));
  },
};

// Build beside dist/ and swap it in, so that a build never leaves dist/ missing or half written for a
// session whose guard runs from it, or for another build running at the same time.
const out = `dist.build-${process.pid}`;
rmSync(out, { recursive: true, force: true });
try {
  await Promise.all([
    build({
      ...common,
      entryPoints: { 'cli/main': 'src/cli/main.ts' },
      outdir: out,
      format: 'esm',
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      minifySyntax: true,
      // pure-JS dependencies go into the bundle (one file to load, not hundreds); native ones cannot
      external: [...NATIVE, ...OPTIONAL],
      // bundled CommonJS dependencies call require() for Node's built-ins
      banner: {
        js: "import { createRequire as __agencyRequire } from 'node:module'; const require = __agencyRequire(import.meta.url);",
      },
    }),
    build({
      ...common,
      entryPoints: {
        'guard/guard': 'src/guard/main.ts',
        'guard/hook': 'src/guard/hook.ts',
        'dispatch/mcp': 'src/dispatch/mcp.ts',
      },
      outdir: out,
      format: 'cjs',
      minify: true,
      outExtension: { '.js': '.cjs' },
      define: { AGENCY_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
      plugins: [withoutAjv],
    }),
  ]);
} catch (e) {
  rmSync(out, { recursive: true, force: true });
  throw e;
}

// A process started from the previous build may still import its chunks lazily: keep those (named by
// their content hash, so they never clash), but only the previous build's, so that dist/ does not grow.
const ownChunks = readdirSync(`${out}/chunks`);
writeFileSync(`${out}/chunks/.build`, `${ownChunks.join('\n')}\n`);
if (existsSync('dist/chunks/.build')) {
  for (const name of readFileSync('dist/chunks/.build', 'utf8').split('\n').filter(Boolean)) {
    if (!ownChunks.includes(name) && existsSync(`dist/chunks/${name}`))
      copyFileSync(`dist/chunks/${name}`, `${out}/chunks/${name}`);
  }
}

const old = `dist.old-${process.pid}`;
// another build may swap its own dist/ in between our two renames: then move that aside and try again
for (let attempt = 0; ; attempt++) {
  try {
    renameSync('dist', old);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  try {
    renameSync(out, 'dist');
    break;
  } catch (e) {
    if (attempt >= 5 || !['ENOTEMPTY', 'EEXIST'].includes(e.code)) throw e;
    rmSync(old, { recursive: true, force: true });
  }
}
rmSync(old, { recursive: true, force: true });
