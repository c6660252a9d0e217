// Tests run the built programs (the CLI, the guard) as a user would: build them once before any test.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROJECT = fileURLToPath(new URL('..', import.meta.url));

export function build(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: PROJECT, stdio: 'inherit' });
}

export default function setup(): void {
  build();
}
