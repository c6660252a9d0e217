/** The Handlebars environment charters render in: no HTML escaping (it is Markdown), strict names. */
import Handlebars from 'handlebars';

export interface CharterContext {
  discipline: { id: string; title: string; description: string };
  task: string;
  taskBlock: string;
  agents: { name: string; description: string }[];
  tools: { name: string; description: string }[];
  policy: { protectedBranches: string[]; secretPaths: string[]; network: { allow: string[]; deny: string[] } };
  memoryBank: string;
}

const hbs = Handlebars.create();
hbs.registerHelper('join', (list: unknown, sep: unknown) =>
  Array.isArray(list) ? list.map(String).join(typeof sep === 'string' ? sep : ', ') : '',
);
hbs.registerHelper('bullet', (list: unknown) =>
  Array.isArray(list) && list.length > 0 ? list.map((x) => `- ${String(x)}`).join('\n') : '- (none)',
);

const KNOWN_HELPERS = {
  join: true,
  bullet: true,
  each: true,
  if: true,
  unless: true,
  with: true,
  lookup: true,
} as const;
const cache = new Map<string, Handlebars.TemplateDelegate<CharterContext>>();

function compile(source: string): Handlebars.TemplateDelegate<CharterContext> {
  let t = cache.get(source);
  if (!t) {
    t = hbs.compile<CharterContext>(source, {
      noEscape: true,
      strict: true,
      knownHelpers: KNOWN_HELPERS,
      knownHelpersOnly: true,
    });
    cache.set(source, t);
  }
  return t;
}

export function renderCharter(source: string, ctx: CharterContext): string {
  const out = compile(source)(ctx);
  return out.endsWith('\n') ? out : `${out}\n`;
}

/** Checks a charter by rendering it with a sample context; returns the 1-based line and message of the first error. */
export function charterProblem(source: string): { line: number; message: string } | null {
  try {
    renderCharter(source, SAMPLE);
    return null;
  } catch (e) {
    const message = (e as Error).message;
    // parse errors say "Parse error on line N:"; strict-mode errors end in " - LINE:COLUMN"
    const m = /Parse error on line (\d+)/.exec(message) ?? / - (\d+):\d+$/m.exec(message);
    const line = m ? Number(m[1]) : 1;
    const text = (source.split('\n')[line - 1] ?? '').trim();
    const first = (message.split('\n')[0] ?? message).replace(/ - \d+:\d+$/, '').replace(/:$/, '');
    return { line, message: `template error: ${first}${text ? ` in ${JSON.stringify(text)}` : ''}` };
  }
}

const SAMPLE: CharterContext = {
  discipline: { id: 'sample', title: 'Sample', description: 'A sample discipline.' },
  task: 'Sample task',
  taskBlock: '```text\nSample task\n```',
  agents: [{ name: 'sample-agent', description: 'Does sample things.' }],
  tools: [{ name: 'sample-tool', description: 'A sample MCP server.' }],
  policy: { protectedBranches: ['main'], secretPaths: ['.env'], network: { allow: [], deny: [] } },
  memoryBank: '.context',
};
