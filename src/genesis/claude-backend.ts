/**
 * The claude backend: `claude -p --output-format json --tools "" --json-schema <schema>` with the operator's own
 * Claude Code login, stdin closed, in an empty temporary folder (no project's CLAUDE.md, settings or agents).
 * With no tools the CLI offers the model only its StructuredOutput tool; the answer is the result's
 * `structured_output`. A retry is a fresh call whose prompt carries the previous answer and its problems.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from '../paths/find-program.js';
import { escapeUnsafe } from '../protocol/safe-text.js';
import { type Backend, BackendError, type CallRequest, retryText, type Turn } from './backend.js';

/** longest a call may take before it is given up */
const CALL_MS = 15 * 60_000;

export function claudeBackend(model: string, env: NodeJS.ProcessEnv = process.env): Backend {
  const named = env.AGENCY_CLAUDE_BIN || 'claude';
  const bin = findProgram(named, env.PATH ?? '');
  if (!bin)
    throw new BackendError(
      `cannot find ${JSON.stringify(named)}${env.AGENCY_CLAUDE_BIN ? ' (AGENCY_CLAUDE_BIN)' : ' on PATH'}: install Claude Code (npm install -g @anthropic-ai/claude-code), set AGENCY_CLAUDE_BIN to it, or use --backend api`,
    );

  const turn = async (req: CallRequest, prompt: string): Promise<Turn> => {
    const out = await runClaude(
      bin,
      [
        '-p',
        '--output-format',
        'json',
        '--no-session-persistence',
        '--tools',
        '',
        '--json-schema',
        JSON.stringify(req.schema),
        '--model',
        model,
        prompt,
      ],
      env,
    );
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
            value === undefined ? '(no JSON)' : JSON.stringify(value),
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
function runClaude(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  const cwd = mkdtempSync(join(tmpdir(), 'agency-genesis-'));
  return new Promise<Result>((resolve, reject) => {
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }, CALL_MS);
    const done = (f: () => void) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      f();
    };
    child.on('error', (e) => done(() => reject(new BackendError(`cannot start ${bin}: ${e.message}`))));
    child.on('close', (code, signal) =>
      done(() => {
        let result: Result | null = null;
        try {
          const parsed = JSON.parse(stdout) as unknown;
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) result = parsed as Result;
        } catch {
          /* not the CLI's JSON */
        }
        if (!result) {
          const why = signal ? `was ended by ${signal}` : `exited with code ${code}`;
          const tail = shown(stderr || stdout);
          return reject(new BackendError(`claude ${why} without a result${tail ? `: ${tail}` : ''}`));
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
