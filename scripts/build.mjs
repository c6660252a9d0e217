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

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { 'cli/main': 'src/cli/main.ts' },
    outdir: 'dist',
    format: 'esm',
    packages: 'external',
    outExtension: { '.js': '.js' },
  }),
  build({
    ...common,
    entryPoints: { 'guard/guard': 'src/guard/main.ts' },
    outdir: 'dist',
    format: 'cjs',
    minify: true,
    outExtension: { '.js': '.cjs' },
  }),
]);
