/** `npm run bench`: every benchmark, each printing its figure against a baseline measured in the same run. */
import { benchApproval } from './approval.js';
import { benchAudit } from './audit.js';
import { benchBudgetStop } from './budget-stop.js';
import { benchClassify } from './classify.js';
import { benchCompile } from './compile.js';
import { benchGuard } from './guard.js';
import { benchCost } from './cost.js';
import { benchCostTracker } from './cost-tracker.js';
import { benchDaemonMemory } from './daemon-memory.js';
import { benchFleet } from './fleet.js';
import { benchFlood } from './flood.js';
import { benchGenesis } from './genesis.js';
import { benchGitFetch } from './git-fetch.js';
import { benchGuardE2e } from './guard-e2e.js';
import { benchInkMemory } from './ink-memory.js';
import { benchLanding } from './landing.js';
import { benchMergeQueue } from './merge-queue.js';
import { benchOps } from './ops.js';
import { benchPushRuntime } from './push-runtime.js';
import { benchScreen } from './screen.js';
import { benchTriage } from './triage.js';
import { benchTui } from './tui.js';
import { benchTuiLatency } from './tui-latency.js';
import { benchSandboxLatency, benchToolLatency } from './tool-latency.js';
import { benchWorkerMemory } from './worker-memory.js';
import { benchWorkerTokens } from './worker-tokens.js';
import { benchWorktreePool } from './worktree-pool.js';

const only = process.argv[2];
const benches: Record<string, () => Promise<void> | void> = {
  classify: () => benchClassify(),
  compile: () => benchCompile(),
  triage: () => benchTriage(),
  guard: () => benchGuard(),
  'guard-e2e': () => benchGuardE2e(),
  approval: () => benchApproval(),
  screen: () => benchScreen(),
  cost: () => benchCost(),
  audit: () => benchAudit(),
  'cost-tracker': () => benchCostTracker(),
  'daemon-memory': () => benchDaemonMemory(),
  fleet: () => benchFleet(),
  tui: () => benchTui(),
  'ink-memory': () => benchInkMemory(),
  flood: () => benchFlood(),
  'tui-latency': () => benchTuiLatency(),
  ops: () => benchOps(),
  landing: () => benchLanding(),
  'tool-latency': () => benchToolLatency(),
  'sandbox-latency': () => benchSandboxLatency(),
  fetch: () => benchGitFetch(),
  'merge-queue': () => benchMergeQueue(),
  'worker-memory': () => benchWorkerMemory(),
  'worker-tokens': () => benchWorkerTokens(),
  'worktree-pool': () => benchWorktreePool(),
  genesis: () => benchGenesis(),
  'budget-stop': () => benchBudgetStop(),
  'push-runtime': () => benchPushRuntime(),
  'worker-sustain': async () => (await import('./worker-sustain.js')).benchWorkerSustain(),
};
for (const [name, run] of Object.entries(benches)) {
  if (only && only !== name) continue;
  await run();
}
