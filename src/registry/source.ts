import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { Problem } from './problems.js';

/** A parsed YAML or JSON file that can say which line a value came from. */
export interface ParsedSource {
  file: string;
  data: unknown;
  /** 1-based line of the value at `path`, or of its nearest existing parent */
  lineOf(path: readonly PropertyKey[]): number;
}

function lineLocator(doc: Document, counter: LineCounter, offsetLines: number) {
  return (path: readonly PropertyKey[]): number => {
    for (let n = path.length; n >= 0; n--) {
      const keys = path.slice(0, n).filter((k): k is string | number => typeof k !== 'symbol');
      const node = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
      if (isNode(node) && node.range) return counter.linePos(node.range[0]).line + offsetLines;
    }
    return 1 + offsetLines;
  };
}

/** Parses YAML; on a syntax error, returns the problem with its line instead of throwing. */
export function parseYaml(file: string, text: string, offsetLines = 0): ParsedSource | Problem {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? counter.linePos(err.pos[0]).line;
    return { file, line: line + offsetLines, message: `invalid YAML: ${firstLine(err.message)}` };
  }
  return { file, data: doc.toJS(), lineOf: lineLocator(doc, counter, offsetLines) };
}

/** Parses strict JSON (JSON.parse decides validity); YAML's parser supplies line positions. */
export function parseJson(file: string, text: string): ParsedSource | Problem {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    const line = pos ? lineAt(text, Number(pos[1])) : jsonErrorLine(text, message);
    return { file, line, message: `invalid JSON: ${message}` };
  }
  // line positions are only needed to report a problem: parse for them then, not for every file
  let locate: ((path: readonly PropertyKey[]) => number) | undefined;
  const lineOf = (path: readonly PropertyKey[]) => {
    if (!locate) {
      const counter = new LineCounter();
      locate = lineLocator(parseDocument(text, { lineCounter: counter }), counter, 0);
    }
    return locate(path);
  };
  return { file, data, lineOf };
}

function jsonErrorLine(text: string, message: string): number {
  const m = /line (\d+)/.exec(message);
  if (m) return Number(m[1]);
  return /end of JSON input/.test(message) ? text.split('\n').length : 1;
}

export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

export function isProblem(x: ParsedSource | Problem): x is Problem {
  return 'message' in x && !('data' in x);
}

/** Splits a Markdown file with YAML frontmatter. Returns null when there is no frontmatter block. */
export function splitFrontmatter(text: string): { yaml: string; body: string; bodyLine: number } | null {
  const norm = text.replace(/\r\n/g, '\n');
  if (!norm.startsWith('---\n')) return null;
  const end = norm.indexOf('\n---', 3);
  if (end < 0) return null;
  const after = norm.indexOf('\n', end + 4);
  const closing = norm.slice(end + 1, after < 0 ? undefined : after);
  if (closing.trim() !== '---') return null;
  const yaml = norm.slice(4, end + 1);
  const body = after < 0 ? '' : norm.slice(after + 1);
  return { yaml, body, bodyLine: lineAt(norm, after < 0 ? norm.length : after + 1) };
}
