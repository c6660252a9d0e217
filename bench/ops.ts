/**
 * What checking a request costs the node: a request's frame decoded (JSON.parse, the baseline: the node does
 * it for every request anyway) against decoded and its args checked by the op's schema, for a keystroke of a
 * takeover (`send`, the most frequent request) and a hook's PermissionRequest report (`hook`).
 */
import { parseOpArgs, type Op } from '../src/protocol/ops.js';
import { percentile, report } from './stats.js';

const ROUNDS = 50_000;

const REQUESTS: { name: string; op: Op; args: unknown }[] = [
  { name: 'send, one keystroke', op: 'send', args: { session: 's-1a2b3c', text: 'k', enter: false } },
  {
    name: 'hook, a PermissionRequest',
    op: 'hook',
    args: {
      session: 's-1a2b3c',
      event: 'PermissionRequest',
      input: {
        session_id: '6f1c9a52-3c1e-4d0b-9d0e-2f1a7f3b8c11',
        transcript_path: '/home/ops/.claude/projects/-home-ops-repo/6f1c9a52-3c1e-4d0b-9d0e-2f1a7f3b8c11.jsonl',
        cwd: '/home/ops/.agency/worktrees/s-1a2b3c',
        hook_event_name: 'PermissionRequest',
        tool_name: 'Bash',
        tool_input: { command: 'npm test -- --reporter=dot', description: 'Run the tests' },
        permission_suggestions: [{ type: 'addRules', rules: [{ toolName: 'Bash', ruleContent: 'npm test:*' }] }],
      },
    },
  },
];

function nsPer(rounds: number, f: () => void): number {
  for (let i = 0; i < 2_000; i++) f(); // warm up
  const t = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) f();
  return Number(process.hrtime.bigint() - t) / rounds;
}

export function benchOps(): void {
  for (const r of REQUESTS) {
    const frame = JSON.stringify({ t: 'req', id: 1, op: r.op, args: r.args });
    let sink = 0;
    const decodes: number[] = [];
    const checks: number[] = [];
    // alternated, several times: the median of each is compared, so a GC or JIT pause in one does not decide
    for (let i = 0; i < 7; i++) {
      decodes.push(
        nsPer(ROUNDS, () => {
          sink += (JSON.parse(frame) as { id: number }).id;
        }),
      );
      checks.push(
        nsPer(ROUNDS, () => {
          const req = JSON.parse(frame) as { op: Op; args: unknown };
          if (parseOpArgs(req.op, req.args).ok) sink++;
        }),
      );
    }
    const decode = percentile(decodes, 50);
    const checked = percentile(checks, 50);
    if (sink === 0) throw new Error('nothing was checked');
    report(`request check, ${r.name}`, checked / 1000, 'µs', decode / 1000, 'JSON.parse of its frame');
  }
}
