// Builds agency into dist/: the CLI as one ESM bundle, and each hook program
// as a self-contained CommonJS file so that it starts as fast as Node can.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

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

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { 'cli/main': 'src/cli/main.ts' },
    outdir: 'dist',
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    minifySyntax: true,
    // pure-JS dependencies go into the bundle (one file to load, not hundreds); native ones cannot
    external: NATIVE,
    // bundled CommonJS dependencies call require() for Node's built-ins
    banner: { js: "import { createRequire as __agencyRequire } from 'node:module'; const require = __agencyRequire(import.meta.url);" },
  }),
  build({
    ...common,
    entryPoints: { 'guard/guard': 'src/guard/main.ts', 'guard/hook': 'src/guard/hook.ts' },
    outdir: 'dist',
    format: 'cjs',
    minify: true,
    outExtension: { '.js': '.cjs' },
  }),
]);
