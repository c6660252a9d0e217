/**
 * The word level of the shell parser: quotes, `$'…'`, parameters (`$x`, `${x:-…}`), command and
 * process substitutions (in double quotes and backticks too) and arithmetic. shell-parse.ts builds the
 * command level on it; a substitution's body is parsed back there (list()).
 */
import { dollarSingle } from './ansi-c.js';
import { ParseError, type List, type Part, type Word } from './shell-ast.js';

export const META = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
const PLAIN_STOP = new Set([...META, '\\', "'", '"', '`', '$']);
export const MAX_NEST = 24;

export abstract class WordReader {
  protected pos = 0;
  protected nest = 0;

  constructor(
    protected readonly src: string,
    protected readonly depth: number,
  ) {
    if (depth > MAX_NEST) throw new ParseError('substitutions nest too deeply');
  }

  /** a list of commands up to where stop() says (a substitution's body) */
  abstract list(stop: () => boolean): List;
  /** a parser for other text (a backtick body, a here-document), one level deeper */
  protected abstract child(src: string): WordReader & { all(): List };

  protected at(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  protected expect(s: string): void {
    this.blanks();
    if (!this.at(s)) throw new ParseError(`expected ${s}`);
    this.pos += s.length;
  }

  /** spaces, tabs, line continuations and comments (not newlines) */
  blanks(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '\\' && this.src[this.pos + 1] === '\n') this.pos += 2;
      else if (c === '#') {
        const nl = this.src.indexOf('\n', this.pos);
        this.pos = nl < 0 ? this.src.length : nl;
      } else return;
    }
  }

  protected nested<T>(f: () => T): T {
    if (++this.nest > MAX_NEST) throw new ParseError('the command nests too deeply');
    try {
      return f();
    } finally {
      this.nest--;
    }
  }

  /** after `((`: to the matching `))`, keeping only the substitutions inside */
  protected arithmetic(): Word {
    const start = this.pos;
    let depth = 2;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos++];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
    }
    if (depth !== 0) throw new ParseError('unterminated (( ))');
    const inner = this.src.slice(start, this.pos - 2);
    const parts = this.child(inner).text(null);
    return { parts: [{ k: 'opaque', subs: subsOf(parts) }], raw: `((${inner}))` };
  }

  protected skipBalanced(): void {
    let depth = 0;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === "'" || c === '"') {
        const end = this.src.indexOf(c, this.pos + 1);
        if (end < 0) throw new ParseError(`unterminated ${c}`);
        this.pos = end + 1;
        continue;
      }
      this.pos++;
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return;
    }
    throw new ParseError('unterminated (');
  }

  word(): Word {
    const start = this.pos;
    const parts: Part[] = [];
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) break;
      if ((c === '<' || c === '>') && this.src[this.pos + 1] === '(') {
        this.pos += 2;
        const body = this.nested(() => this.list(() => this.at(')')));
        this.expect(')');
        parts.push({ k: 'proc', body });
        continue;
      }
      if (META.has(c)) break;
      if (c === '~' && this.pos === start) {
        const m = /^~([+-]|[A-Za-z0-9._-]*)(?=[/:]|$|[ \t\n;&|<>()])/.exec(this.src.slice(this.pos, this.pos + 64));
        if (m) {
          parts.push({ k: 'tilde', user: m[1] as string });
          this.pos += m[0].length;
          continue;
        }
      }
      if (c === '\\') {
        const n = this.src[this.pos + 1];
        this.pos += n === undefined ? 1 : 2;
        if (n !== undefined && n !== '\n') parts.push({ k: 'lit', v: n, q: true });
        continue;
      }
      if (c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ParseError("unterminated '");
        parts.push({ k: 'lit', v: this.src.slice(this.pos + 1, end), q: true });
        this.pos = end + 1;
        continue;
      }
      if (c === '"') {
        this.pos++;
        parts.push(...this.text('"'));
        continue;
      }
      if (c === '`') {
        parts.push(this.backtick(false));
        continue;
      }
      if (c === '$') {
        parts.push(...this.dollar(false));
        continue;
      }
      let j = this.pos;
      while (j < this.src.length && !PLAIN_STOP.has(this.src[j] as string)) j++;
      parts.push({ k: 'lit', v: this.src.slice(this.pos, j), q: false });
      this.pos = j;
    }
    if (this.pos === start) throw new ParseError('expected a word');
    return { parts, raw: this.src.slice(start, this.pos) };
  }

  /**
   * Text with expansions but no word splitting: the inside of double quotes (end `"`, consumed), or a
   * whole here-document or arithmetic body (end null).
   */
  text(end: '"' | null): Part[] {
    const parts: Part[] = [];
    let buf = '';
    const flush = () => {
      if (buf !== '') parts.push({ k: 'lit', v: buf, q: true });
      buf = '';
    };
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) {
        if (end !== null) throw new ParseError('unterminated "');
        break;
      }
      if (c === end) {
        this.pos++;
        break;
      }
      if (c === '\\') {
        const n = this.src[this.pos + 1];
        if (n !== undefined && ('$`\\\n'.includes(n) || (n === '"' && end === '"'))) {
          if (n !== '\n') buf += n;
          this.pos += 2;
        } else {
          buf += c;
          this.pos++;
        }
        continue;
      }
      if (c === '$') {
        flush();
        parts.push(...this.dollar(true));
        continue;
      }
      if (c === '`') {
        flush();
        parts.push(this.backtick(true));
        continue;
      }
      buf += c;
      this.pos++;
    }
    flush();
    if (parts.length === 0) parts.push({ k: 'lit', v: '', q: true });
    return parts;
  }

  protected dollar(q: boolean): Part[] {
    this.pos++;
    const c = this.src[this.pos];
    if (c === '(') {
      if (this.src[this.pos + 1] === '(') {
        this.pos += 2;
        return this.arithmetic().parts;
      }
      this.pos++;
      const body = this.nested(() => this.list(() => this.at(')')));
      this.expect(')');
      return [{ k: 'sub', body, q }];
    }
    if (c === '{') return [this.param(q)];
    if (c === "'" && !q) {
      const r = dollarSingle(this.src, this.pos + 1);
      if (!r) throw new ParseError("unterminated $'");
      this.pos = r.end;
      return [{ k: 'lit', v: r.value, q: true }];
    }
    if (c === '"' && !q) {
      this.pos++;
      return this.text('"');
    }
    const m = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(this.src.slice(this.pos, this.pos + 256));
    if (!m) return [{ k: 'lit', v: '$', q }];
    this.pos += m[0].length;
    return [{ k: 'var', name: m[0], q }];
  }

  /** after `$`, at `{` */
  protected param(q: boolean): Part {
    this.pos++;
    const m = /^([#!]?)([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(\[[^\]]*\])?/.exec(
      this.src.slice(this.pos, this.pos + 256),
    );
    if (!m) throw new ParseError('bad ${…} substitution');
    this.pos += m[0].length;
    const name = m[2] as string;
    const simple = m[1] === '' && m[3] === undefined;
    if (this.at('}')) {
      this.pos++;
      return simple ? { k: 'var', name, q } : { k: 'var', name, q, other: true };
    }
    const op = /^:?[-=+?]/.exec(this.src.slice(this.pos, this.pos + 2))?.[0];
    if (op) this.pos += op.length;
    const arg = this.nested(() => this.paramWord(q));
    return simple && (op === '-' || op === ':-')
      ? { k: 'var', name, q, dflt: arg }
      : { k: 'var', name, q, dflt: arg, other: true };
  }

  /** the word inside `${name…}` after its operator, to the closing `}` (consumed) */
  protected paramWord(q: boolean): Part[] {
    const parts: Part[] = [];
    let buf = '';
    const flush = () => {
      if (buf !== '') parts.push({ k: 'lit', v: buf, q });
      buf = '';
    };
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) throw new ParseError('unterminated ${');
      if (c === '}') {
        this.pos++;
        break;
      }
      if (c === '\\') {
        buf += this.src[this.pos + 1] ?? '';
        this.pos += 2;
      } else if (c === "'" && !q) {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ParseError("unterminated '");
        buf += this.src.slice(this.pos + 1, end);
        this.pos = end + 1;
      } else if (c === '"') {
        flush();
        this.pos++;
        parts.push(...this.text('"'));
      } else if (c === '$') {
        flush();
        parts.push(...this.dollar(q));
      } else if (c === '`') {
        flush();
        parts.push(this.backtick(q));
      } else {
        buf += c;
        this.pos++;
      }
    }
    flush();
    return parts;
  }

  protected backtick(q: boolean): Part {
    this.pos++;
    let inner = '';
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) throw new ParseError('unterminated `');
      this.pos++;
      if (c === '`') break;
      if (c === '\\') {
        const n = this.src[this.pos];
        if (n === '`' || n === '\\' || n === '$' || (q && n === '"')) {
          inner += n;
          this.pos++;
          continue;
        }
      }
      inner += c;
    }
    return { k: 'sub', body: this.child(inner).all(), q };
  }
}

/** The substitutions among parts (they run even where the value does not matter). */
export function subsOf(parts: Part[]): List[] {
  const out: List[] = [];
  for (const p of parts) {
    if (p.k === 'sub' || p.k === 'proc') out.push(p.body);
    else if (p.k === 'opaque') out.push(...p.subs);
    else if (p.k === 'var' && p.dflt) out.push(...subsOf(p.dflt));
  }
  return out;
}
