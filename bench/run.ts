/** `npm run bench`: every benchmark, each printing its figure against a baseline measured in the same run. */
import { benchCompile } from './compile.js';
import { benchGuard } from './guard.js';

const only = process.argv[2];
const benches: Record<string, () => Promise<void> | void> = {
  compile: () => benchCompile(),
  guard: () => benchGuard(),
};
for (const [name, run] of Object.entries(benches)) {
  if (only && only !== name) continue;
  await run();
}
