/**
 * agency's PreToolUse guard. Claude Code runs it before every tool call with the call as JSON on stdin
 * and the policy file as its argument. Exit 0 lets the call go on to Claude Code's own permission rules;
 * exit 2 blocks it, and what is on stderr reaches Claude as the reason; `ask` (exit 0 with a
 * permissionDecision) makes Claude Code put the call to the operator even where an allow rule covers it.
 * Anything unexpected (no policy, a malformed one, input it cannot read, a bug) blocks: a guard that
 * fails open is no guard.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { decide, type HookInput } from './decide.js';
import { parsePolicy } from './policy.js';

function block(reason: string): never {
  process.stderr.write(`agency guard blocked this call: ${reason}\n`);
  process.exit(2);
}

function ask(reason: string): never {
  const out = {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'ask',
      permissionDecisionReason: `agency guard: ${reason}`,
    },
  };
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

try {
  const policyPath = process.argv[2];
  if (!policyPath) block('no policy file was given to the guard');
  let policyText: string;
  try {
    policyText = readFileSync(policyPath, 'utf8');
  } catch (e) {
    block(`cannot read the policy ${policyPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const policy = parsePolicy(policyText);
  let input: HookInput;
  try {
    input = JSON.parse(readFileSync(0, 'utf8')) as HookInput;
  } catch {
    block('the tool call could not be read (malformed hook input)');
  }
  const d = decide(input, policy, process.env.HOME || homedir());
  if (d.verdict === 'deny') block(d.reason);
  if (d.verdict === 'ask') ask(d.reason);
  process.exit(0);
} catch (e) {
  block(`the guard failed (${(e as Error).message}); failing closed`);
}
