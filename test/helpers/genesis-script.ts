/**
 * A scripted model for `agency genesis`: the scripted Messages API's route answers each of genesis's calls
 * (recognised by its prompt) with an organisation of the size asked, in the shape either backend expects (the
 * forced tool's name for the API, StructuredOutput for claude -p). Tests replace any answer with a hostile or
 * broken one through `override`.
 */
import type { Reply, Scenario, Step, StepContext } from '../fixtures/messages-api.js';

export interface OrgShape {
  vps: number;
  disciplines: number;
  agents: number;
}

export type Call = { phase: 'org' } | { phase: 'disciplines'; vp: string } | { phase: 'agents'; discipline: string };

/**
 * An override's answers: the first for the first call, the second for the answer sent back (or undefined to
 * answer as scripted); `null` leaves the call as scripted.
 */
export type Override = (call: Call, scripted: Record<string, unknown>) => [unknown, unknown?] | null;

/** `<data name="vp_name">"Risk 2"</data>` → Risk 2 */
export function dataOf(prompt: string, name: string): string | null {
  const m = new RegExp(`<data name="${name}">("(?:[^"\\\\]|\\\\.)*")</data>`).exec(prompt);
  return m ? (JSON.parse(m[1]!) as string) : null;
}

export function callOf(prompt: string): Call | null {
  if (prompt.includes('You design the top of an organisation')) return { phase: 'org' };
  if (prompt.includes('You design the disciplines of one VP'))
    return { phase: 'disciplines', vp: dataOf(prompt, 'vp_name') ?? '?' };
  if (prompt.includes('You design the Claude Code subagents'))
    return { phase: 'agents', discipline: dataOf(prompt, 'discipline_title') ?? '?' };
  return null;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** The well-formed answer to a call, for an organisation of the given shape. */
export function scriptedAnswer(call: Call, shape: OrgShape): Record<string, unknown> {
  if (call.phase === 'org')
    return {
      org: { id: 'fund-ops', name: 'Fund Operations' },
      vps: Array.from({ length: shape.vps }, (_, i) => ({
        id: `vp-${i + 1}`,
        name: `Division ${i + 1}`,
        persona: `A careful leader of division ${i + 1}.\nDecides with evidence.`,
        mandate: `Answerable for the work of division ${i + 1}.`,
      })),
    };
  if (call.phase === 'disciplines') {
    const n = /(\d+)$/.exec(call.vp)?.[1] ?? '0';
    return {
      disciplines: Array.from({ length: shape.disciplines }, (_, j) => ({
        id: `d${n}-practice-${j + 1}`,
        title: `Practice ${n}.${j + 1}`,
        description: `The work of practice ${j + 1} in division ${n}.`,
        keywords: [`practice${n}x${j + 1}`, 'analysis', 'report'],
        charter: `1. Read the request.\n2. Do the work of practice ${n}.${j + 1} with care.\n3. Report.`,
        tools: j === 0 ? ['context7'] : [],
        hooks: ['guard-standard'],
        model: 'sonnet',
        check: 'npm test',
      })),
    };
  }
  const key = slug(call.discipline);
  return {
    agents: Array.from({ length: shape.agents }, (_, k) => ({
      name: `${key}-helper-${k + 1}`,
      description: `Helps with ${call.discipline}, part ${k + 1}.`,
      tools: ['Read', 'Grep', 'Glob'],
      model: k === 0 ? 'haiku' : 'sonnet',
      prompt: `You are helper ${k + 1} of ${call.discipline}.\n\nReturn a short report.`,
    })),
  };
}

const reply = (ctx: StepContext, input: unknown): Reply => {
  if (typeof input === 'string') return { text: input };
  const name = String(ctx.request.body?.tools?.[0]?.name ?? 'StructuredOutput');
  return { tool: name, input: input as Record<string, unknown> };
};

/**
 * A scenario for genesis. A call's first request gets the first answer; the API backend's retry continues the
 * conversation (its second turn), the claude backend's is a new call whose prompt carries `<previous_answer>`:
 * both get the second answer.
 */
export function genesisScenario(shape: OrgShape, override: Override = () => null, delayMs = 0): Scenario {
  return {
    steps: [],
    delayMs,
    route: (ctx) => {
      const call = callOf(ctx.prompt);
      if (!call) return null;
      const scripted = scriptedAnswer(call, shape);
      const [first, second] = override(call, scripted) ?? [scripted, scripted];
      const again = second === undefined ? scripted : second;
      const step =
        (v: unknown): Step =>
        (c) =>
          reply(c, v);
      if (ctx.prompt.includes('<previous_answer>')) return [step(again), step(again)];
      return [step(first), step(again), step(again)];
    },
  };
}
