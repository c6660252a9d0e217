/**
 * The claude backend: `claude -p --output-format json --tools "" --json-schema <schema>` with the operator's own
 * Claude Code login, the prompt on stdin (never in argv, where its length and `ps` would matter), in an empty
 * temporary folder, cut off from the operator's own Claude Code setup: no settings files (--setting-sources ""),
 * no MCP servers (--strict-mcp-config with none), no tools but the StructuredOutput the CLI offers for the
 * schema, and few turns. The answer is the result's `structured_output`. A retry is a fresh call whose prompt
 * carries the previous answer (secrets redacted) and its problems.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from '../paths/find-program.js';
import { escapeUnsafe } from '../protocol/safe-text.js';
import { type Backend, BackendError, type CallRequest, retryText, type Turn } from './backend.js';
import { redactSecrets, secretValues } from './checks.js';
import { onInterrupt } from './interrupt.js';

/** longest a call may take before it is given up */
const CALL_MS = 15 * 60_000;
/** the most stdout a call may print: far above any answer, far below what would exhaust memory */
export const MAX_STDOUT = 16 * 1024 * 1024;
/** the model answers with StructuredOutput in one turn; the CLI may need one more to re-ask on a bad answer */
const MAX_TURNS = 4;

export interface ClaudeLimits {
  callMs?: number;
  maxStdout?: number;
}

export function claudeBackend(model: string, env: NodeJS.ProcessEnv = process.env, limits: ClaudeLimits = {}): Backend {
  const named = env.AGENCY_CLAUDE_BIN || 'claude';
  const bin = findProgram(named, env.PATH ?? '');
  if (!bin)
    throw new BackendError(
      `cannot find ${JSON.stringify(named)}${env.AGENCY_CLAUDE_BIN ? ' (AGENCY_CLAUDE_BIN)' : ' on PATH'}: install Claude Code (npm install -g @anthropic-ai/claude-code), set AGENCY_CLAUDE_BIN to it, or use --backend api`,
    );
  const secrets = secretValues(env);
  const run = { callMs: limits.callMs ?? CALL_MS, maxStdout: limits.maxStdout ?? MAX_STDOUT };

  const turn = async (req: CallRequest, prompt: string): Promise<Turn> => {
    const args = [
      '-p',
      '--output-format',
      'json',
      '--no-session-persistence',
      '--setting-sources',
      '',
      '--strict-mcp-config',
      '--mcp-config',
      '{"mcpServers":{}}',
      '--tools',
      '',
      '--max-turns',
      String(MAX_TURNS),
      '--json-schema',
      JSON.stringify(req.schema),
      '--model',
      model,
    ];
    const out = await runClaude(bin, args, prompt, env, run);
    const usage = (out.usage ?? {}) as Record<string, number>;
    const tokens = {
      input:
        (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
      output: usage.output_tokens ?? 0,
    };
    const value = out.structured_output;
    return {
      value,
      ...(value === undefined
        ? { notJson: `the answer was not JSON for the schema (${String(out.subtype ?? 'no structured output')})` }
        : {}),
      tokens,
      retry: (problems) =>
        turn(
          req,
          [
            req.prompt,
            '',
            'You answered this before:',
            '<previous_answer>',
            value === undefined ? '(no JSON)' : redactSecrets(JSON.stringify(value), secrets),
            '</previous_answer>',
            '',
            retryText(problems),
          ].join('\n'),
        ),
    };
  };
  return { name: 'claude', call: (req) => turn(req, req.prompt) };
}

type Result = Record<string, unknown>;

/** Runs claude once; the result event. An answer that is not the model's fault (no login, a refused call) throws. */
function runClaude(
  bin: string,
  args: string[],
  prompt: string,
  env: NodeJS.ProcessEnv,
  limits: { callMs: number; maxStdout: number },
): Promise<Result> {
  let cwd: string;
  try {
    cwd = mkdtempSync(join(tmpdir(), 'agency-genesis-'));
  } catch (e) {
    return Promise.reject(new BackendError(`cannot make a temporary folder for claude: ${(e as Error).message}`));
  }
  return new Promise<Result>((resolve, reject) => {
    let finished = false;
    let child: ReturnType<typeof spawn> | null = null;
    const kill = () => {
      if (child?.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    };
    const unregister = onInterrupt(() => {
      kill();
      rmSync(cwd, { recursive: true, force: true });
    });
    const timer: { id?: NodeJS.Timeout } = {};
    const done = (f: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer.id);
      unregister();
      kill();
      rmSync(cwd, { recursive: true, force: true });
      f();
    };
    try {
      child = spawn(bin, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      return done(() => reject(new BackendError(`cannot start ${bin}: ${(e as Error).message}`)));
    }
    let why: string | null = null;
    timer.id = setTimeout(() => {
      why = `claude did not answer within ${Math.round(limits.callMs / 1000)} s (timed out); run again, or try another --model`;
      kill();
    }, limits.callMs);
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      size += d.length;
      if (size > limits.maxStdout) {
        why ??= `claude printed more than ${limits.maxStdout} bytes without finishing its answer; it was stopped`;
        kill();
        return;
      }
      chunks.push(d);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    // the prompt goes on stdin; a claude that exits before reading it is reported by its exit, not by EPIPE
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(prompt);
    child.on('error', (e) => done(() => reject(new BackendError(`cannot start ${bin}: ${e.message}`))));
    child.on('close', (code, signal) =>
      done(() => {
        if (why) return reject(new BackendError(why));
        const stdout = Buffer.concat(chunks).toString('utf8');
        let result: Result | null = null;
        try {
          const parsed = JSON.parse(stdout) as unknown;
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) result = parsed as Result;
        } catch {
          /* not the CLI's JSON */
        }
        if (!result) {
          const ended = signal ? `was ended by ${signal}` : `exited with code ${code}`;
          const tail = shown(stderr || stdout);
          return reject(new BackendError(`claude ${ended} without a result${tail ? `: ${tail}` : ''}`));
        }
        // the model's fault: it never gave JSON that fits; anything else that failed is the CLI's or the account's
        const modelFault = result.subtype === 'error_max_structured_output_retries';
        if ((result.is_error === true || code !== 0) && !modelFault)
          return reject(
            new BackendError(`claude could not answer: ${shown(String(result.result ?? result.subtype ?? stderr))}`),
          );
        resolve(result);
      }),
    );
  });
}

/** A bounded, printable excerpt of what claude said. */
function shown(s: string): string {
  const t = escapeUnsafe(s.trim(), 'nothing');
  return t.length > 400 ? `${t.slice(0, 400)}…` : t;
}
