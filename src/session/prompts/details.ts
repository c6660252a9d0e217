/**
 * What an escalated or reported dialog shows, for the operator: the tool of a permission prompt and
 * its command, file or URL; the question asked. Read from the dialog's zones as 2.1.197 lays them out:
 *
 *   Bash command                      ← title (heading, first line)
 *     rm -rf build_tmp_dir            ← body: the command, then its description on the last line
 *     Remove temp dir
 *   Do you want to proceed?           ← question
 *
 *   Create file / written.txt         ← title, then the file as subtitle
 *   Fetch / url: "https://…", prompt: "…"
 *   Read file / Read(/etc/hostname)
 *   Tool use / notes - add_note(text: "…") (MCP)
 *
 * What it reads is for display: the hook event, not the screen, is the authority on a tool's input.
 */
import { matchesAny } from './match.js';
import { fold, indentOf, normaliseText, unwrap } from './normalise.js';
import type { Dialog } from './structure.js';
import type { DetailKind, Details, Rule } from './types.js';

/** a body line that ends this close to the wrap width was wrapped, not broken by the command itself */
const WRAP_SLACK = 8;

function commandOf(d: Dialog): string | undefined {
  const para = d.body[0];
  if (!para?.length) return undefined;
  // the last line is the description Claude gave (or "Run shell command"), when there is room for one
  const lines = para.length > 1 ? para.slice(0, -1) : para;
  const indent = Math.min(...lines.map(indentOf));
  let out = '';
  lines.forEach((line, i) => {
    const text = line.slice(indent).trimEnd();
    if (i === 0) out = text;
    else out += ([...(lines[i - 1] ?? '')].length >= d.width - WRAP_SLACK ? ' ' : '\n') + text;
  });
  return out || undefined;
}

const FILE_QUESTION =
  /^do you want to (?:make this edit to|create|overwrite|write to|insert this cell into|delete this cell from) (.+?)\?$/i;

function fileOf(d: Dialog): string | undefined {
  const subtitle = d.heading[1];
  if (subtitle && subtitle.trim()) return normaliseText(subtitle);
  const m = FILE_QUESTION.exec(unwrap(d.question));
  return m?.[1];
}

function bodyText(d: Dialog): string {
  return d.body.map((p) => unwrap(p)).join('\n');
}

function urlOf(d: Dialog): string | undefined {
  const text = bodyText(d);
  return /\burl:\s*"([^"]+)"/.exec(text)?.[1] ?? /\bhttps?:\/\/[^\s"'<>]+/.exec(text)?.[0];
}

/** `Read(/etc/hostname)` → `/etc/hostname` */
function callArgOf(d: Dialog): string | undefined {
  const first = d.body[0]?.[0];
  return first ? /^\s*[\w.-]+\((.*)\)\s*$/.exec(first)?.[1] : undefined;
}

/** `notes - add_note(text: "x") (MCP)` → tool `mcp__notes__add_note`, command the whole call */
function mcpOf(d: Dialog): { tool?: string; command?: string } {
  const para = d.body[0];
  if (!para?.length) return {};
  const call = normaliseText((para.length > 1 ? para.slice(0, -1) : para).join(' '));
  const m = /^(\S+) - ([^\s(]+)\(/.exec(call);
  return { command: call, ...(m ? { tool: `mcp__${m[1]}__${m[2]}` } : {}) };
}

/** The first line that is an absolute path (a Settings Error names the broken file). */
function pathOf(d: Dialog): string | undefined {
  for (const line of d.prose.flat()) {
    const m = /^\s*((?:\/|~\/|[A-Za-z]:\\)\S*)\s*$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

function applies(kind: DetailKind, d: Dialog): boolean {
  if (!kind.title && !kind.question) return true;
  const title = d.heading[0] ? [fold(d.heading[0])] : [];
  if (kind.title && matchesAny(title, kind.title)) return true;
  return kind.question !== undefined && matchesAny([fold(unwrap(d.question))], kind.question);
}

function extract(kind: DetailKind, d: Dialog): Details {
  const out: Details = kind.tool ? { tool: kind.tool } : {};
  const set = (key: 'command' | 'file' | 'url', value: string | undefined) => {
    if (value) out[key] = value;
  };
  switch (kind.field) {
    case 'command':
      set('command', commandOf(d));
      break;
    case 'file':
      set('file', fileOf(d));
      break;
    case 'url':
      set('url', urlOf(d));
      break;
    case 'call':
      set('file', callArgOf(d));
      break;
    case 'path':
      set('file', pathOf(d));
      break;
    case 'mcp': {
      const m = mcpOf(d);
      if (m.tool) out.tool = m.tool;
      set('command', m.command);
      break;
    }
  }
  return out;
}

/** The details a rule asks for, or undefined when it asks for none (or none could be read). */
export function detailsFor(rule: Rule, d: Dialog): Details | undefined {
  if (!rule.details) return undefined;
  let out: Details = {};
  const kind = rule.details.kinds?.find((k) => applies(k, d));
  if (kind) out = extract(kind, d);
  if (rule.details.question) {
    const q = unwrap(d.question);
    if (q) out.question = q;
  }
  return Object.keys(out).length ? out : undefined;
}
