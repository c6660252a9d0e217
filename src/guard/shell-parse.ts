/**
 * A parser for the bash a command line is written in: lists, pipelines, subshells and groups, if/while/
 * for/case, functions, redirections and here-documents, and words with their quotes, parameters, command
 * and process substitutions (in double quotes and backticks too). It builds shell-ast.ts; it runs nothing.
 * What it cannot read throws ParseError, and the guard then asks the operator.
 */
import type { AndOr, Assign, Command, List, Pipeline, Redir, Word } from './shell-ast.js';
import { ParseError } from './shell-ast.js';
import { META, WordReader } from './shell-words.js';

export { subsOf } from './shell-words.js';

const CLOSERS = new Set(['then', 'elif', 'else', 'fi', 'do', 'done', 'esac', '}', ']]', 'in']);
const REDIR = /^(\d*)(<<<|<<-|<<|<>|<&|<|>>|>\||>&|>|&>>|&>)/;

export function parseShell(src: string): List {
  return new Parser(src, 0).all();
}

class Parser extends WordReader {
  private pending: { redir: Redir; delim: string; strip: boolean; quoted: boolean }[] = [];

  protected child(src: string): Parser {
    return new Parser(src, this.depth + 1);
  }

  all(): List {
    const list = this.list(() => false);
    this.blanks();
    if (this.pos < this.src.length) throw new ParseError(`unexpected ${JSON.stringify(this.src[this.pos])}`);
    for (const h of this.pending) h.redir.doc = [];
    return list;
  }

  /** a reserved word here, standing alone */
  private atWord(w: string): boolean {
    if (!this.src.startsWith(w, this.pos)) return false;
    const n = this.src[this.pos + w.length];
    return n === undefined || META.has(n);
  }

  private expectWord(w: string): void {
    this.blanksAndNewlines();
    if (!this.atWord(w)) throw new ParseError(`expected ${w}`);
    this.pos += w.length;
  }

  private blanksAndNewlines(): void {
    for (;;) {
      this.blanks();
      if (this.src[this.pos] !== '\n') return;
      this.newline();
    }
  }

  /** Consumes a newline, then the lines of any here-documents begun on the line it ends. */
  private newline(): void {
    this.pos++;
    const pending = this.pending;
    this.pending = [];
    for (const h of pending) {
      let body = '';
      while (this.pos < this.src.length) {
        const nl = this.src.indexOf('\n', this.pos);
        const end = nl < 0 ? this.src.length : nl;
        const line = this.src.slice(this.pos, end);
        this.pos = nl < 0 ? end : end + 1;
        const text = h.strip ? line.replace(/^\t+/, '') : line;
        if (text === h.delim) break;
        body += `${text}\n`;
      }
      h.redir.doc = h.quoted ? [{ k: 'lit', v: body, q: true }] : this.child(body).text(null);
    }
  }

  list(stop: () => boolean): List {
    const items: List['items'] = [];
    for (;;) {
      this.blanksAndNewlines();
      if (this.pos >= this.src.length || stop()) return { items };
      const ao = this.andOr();
      this.blanks();
      if (this.at('&') && !this.at('&&') && !this.at('&>')) {
        this.pos++;
        items.push({ ao, bg: true });
      } else if (this.at(';') && !this.at(';;') && !this.at(';&')) {
        this.pos++;
        items.push({ ao, bg: false });
      } else if (this.at('\n')) {
        this.newline();
        items.push({ ao, bg: false });
      } else {
        items.push({ ao, bg: false });
        return { items };
      }
    }
  }

  private andOr(): AndOr {
    const first = this.pipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      this.blanks();
      if (!this.at('&&') && !this.at('||')) return { first, rest };
      const op = this.at('&&') ? '&&' : '||';
      this.pos += 2;
      this.blanksAndNewlines();
      rest.push({ op, p: this.pipeline() });
    }
  }

  private pipeline(): Pipeline {
    let bang = false;
    for (;;) {
      this.blanks();
      if (this.atWord('!')) {
        bang = !bang;
        this.pos++;
      } else if (this.atWord('time') || this.atWord('coproc')) {
        this.pos += this.atWord('time') ? 4 : 6;
        this.blanks();
        if (this.atWord('-p')) this.pos += 2;
      } else break;
    }
    const cmds = [this.command()];
    for (;;) {
      this.blanks();
      if (!this.at('|') || this.at('||')) return { bang, cmds };
      this.pos += this.at('|&') ? 2 : 1;
      this.blanksAndNewlines();
      cmds.push(this.command());
    }
  }

  private command(): Command {
    this.blanks();
    if (this.at('((')) {
      this.pos += 2;
      return { k: 'test', words: [this.arithmetic()] };
    }
    if (this.at('(')) {
      this.pos++;
      const body = this.nested(() => this.list(() => this.at(')')));
      this.expect(')');
      return { k: 'subshell', body, redirs: this.redirs() };
    }
    if (this.atWord('{')) {
      this.pos++;
      const body = this.list(() => this.atWord('}'));
      this.expectWord('}');
      return { k: 'group', body, redirs: this.redirs() };
    }
    if (this.atWord('if')) return this.ifClause();
    if (this.atWord('while') || this.atWord('until')) {
      this.pos += 5;
      const cond = this.list(() => this.atWord('do'));
      this.expectWord('do');
      const body = this.list(() => this.atWord('done'));
      this.expectWord('done');
      return { k: 'loop', cond, words: null, body, redirs: this.redirs() };
    }
    if (this.atWord('for') || this.atWord('select')) return this.forClause();
    if (this.atWord('case')) return this.caseClause();
    if (this.atWord('function')) {
      this.pos += 8;
      this.blanks();
      const name = this.word().raw;
      this.blanks();
      if (this.at('(')) {
        this.pos++;
        this.expect(')');
      }
      this.blanksAndNewlines();
      return { k: 'func', name, body: this.command() };
    }
    if (this.atWord('[[')) return this.testClause();
    for (const w of CLOSERS) if (this.atWord(w)) throw new ParseError(`unexpected ${w}`);
    return this.simple();
  }

  private ifClause(): Command {
    this.pos += 2;
    const branches: { cond: List; body: List }[] = [];
    for (;;) {
      const cond = this.list(() => this.atWord('then'));
      this.expectWord('then');
      const body = this.list(() => this.atWord('elif') || this.atWord('else') || this.atWord('fi'));
      branches.push({ cond, body });
      if (this.atWord('elif')) {
        this.pos += 4;
        continue;
      }
      let otherwise: List | null = null;
      if (this.atWord('else')) {
        this.pos += 4;
        otherwise = this.list(() => this.atWord('fi'));
      }
      this.expectWord('fi');
      return { k: 'if', branches, otherwise, redirs: this.redirs() };
    }
  }

  private forClause(): Command {
    this.pos += this.atWord('for') ? 3 : 6;
    this.blanks();
    let words: Word[] | null = null;
    if (this.at('((')) {
      this.pos += 2;
      words = [this.arithmetic()];
    } else {
      this.word();
      this.blanksAndNewlines();
      if (this.atWord('in')) {
        this.pos += 2;
        words = [];
        for (;;) {
          this.blanks();
          const c = this.src[this.pos];
          if (c === undefined || c === ';' || c === '\n') break;
          words.push(this.word());
        }
      }
    }
    this.blanks();
    if (this.at(';')) this.pos++;
    this.expectWord('do');
    const body = this.list(() => this.atWord('done'));
    this.expectWord('done');
    return { k: 'loop', cond: null, words, body, redirs: this.redirs() };
  }

  private caseClause(): Command {
    this.pos += 4;
    this.blanks();
    const word = this.word();
    this.expectWord('in');
    const arms: { patterns: Word[]; body: List }[] = [];
    for (;;) {
      this.blanksAndNewlines();
      if (this.atWord('esac')) {
        this.pos += 4;
        return { k: 'case', word, arms, redirs: this.redirs() };
      }
      if (this.pos >= this.src.length) throw new ParseError('expected esac');
      if (this.at('(')) this.pos++;
      const patterns: Word[] = [];
      for (;;) {
        this.blanks();
        patterns.push(this.word());
        this.blanks();
        if (this.at('|')) this.pos++;
        else if (this.at(')')) {
          this.pos++;
          break;
        } else throw new ParseError('expected ) after a case pattern');
      }
      const body = this.list(() => this.at(';;') || this.at(';&') || this.atWord('esac'));
      this.blanks();
      if (this.at(';;&')) this.pos += 3;
      else if (this.at(';;') || this.at(';&')) this.pos += 2;
      arms.push({ patterns, body });
    }
  }

  private testClause(): Command {
    this.pos += 2;
    const words: Word[] = [];
    for (;;) {
      this.blanksAndNewlines();
      if (this.atWord(']]')) {
        this.pos += 2;
        return { k: 'test', words };
      }
      const c = this.src[this.pos];
      if (c === undefined) throw new ParseError('expected ]]');
      if ((c === '<' || c === '>') && this.src[this.pos + 1] === '(') words.push(this.word());
      else if (META.has(c)) this.pos++;
      else words.push(this.word());
    }
  }

  private redirs(): Redir[] {
    const out: Redir[] = [];
    for (;;) {
      this.blanks();
      if (!this.atRedir()) return out;
      out.push(this.redir());
    }
  }

  private atRedir(): boolean {
    const m = REDIR.exec(this.src.slice(this.pos, this.pos + 16));
    if (!m) return false;
    const [, fd, op] = m as unknown as [string, string, string];
    if (fd === '' && (op === '<' || op === '>') && this.src[this.pos + 1] === '(') return false;
    return !(fd !== '' && op.startsWith('&'));
  }

  private redir(): Redir {
    const m = REDIR.exec(this.src.slice(this.pos, this.pos + 16)) as unknown as [string, string, string];
    this.pos += m[0].length;
    this.blanks();
    const c = this.src[this.pos];
    if (c === undefined || (META.has(c) && !((c === '<' || c === '>') && this.src[this.pos + 1] === '(')))
      throw new ParseError(`${m[2]} without a target`);
    const target = this.word();
    const r: Redir = { op: m[2], fd: m[1] === '' ? null : m[1], target };
    if (r.op === '<<' || r.op === '<<-') {
      const quoted = target.parts.some((p) => p.k === 'lit' && p.q);
      const delim = target.parts.map((p) => (p.k === 'lit' ? p.v : p.k === 'var' ? `$${p.name}` : '')).join('');
      this.pending.push({ redir: r, delim, strip: r.op === '<<-', quoted });
    }
    return r;
  }

  private simple(): Command {
    const assigns: Assign[] = [];
    const words: Word[] = [];
    const redirs: Redir[] = [];
    for (;;) {
      this.blanks();
      const c = this.src[this.pos];
      if (c === undefined || c === '\n' || c === ';' || c === ')' || c === '|') break;
      if (c === '&' && !this.at('&>')) break;
      if (this.atRedir()) {
        redirs.push(this.redir());
        continue;
      }
      if (c === '(') {
        if (words.length !== 1 || assigns.length > 0) throw new ParseError('unexpected (');
        this.pos++;
        this.expect(')');
        this.blanksAndNewlines();
        return { k: 'func', name: (words[0] as Word).raw, body: this.command() };
      }
      if (words.length === 0) {
        const a = this.assignment();
        if (a) {
          assigns.push(a);
          continue;
        }
      }
      words.push(this.word());
    }
    if (words.length + assigns.length + redirs.length === 0) throw new ParseError('expected a command');
    return { k: 'simple', assigns, words, redirs };
  }

  private assignment(): Assign | null {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=/.exec(this.src.slice(this.pos, this.pos + 256));
    if (!m) return null;
    this.pos += m[0].length;
    const name = m[1] as string;
    if (this.at('(')) {
      this.skipBalanced();
      return { name, value: null };
    }
    const c = this.src[this.pos];
    if (c === undefined || META.has(c)) return { name, value: { parts: [{ k: 'lit', v: '', q: true }], raw: '' } };
    return { name, value: this.word() };
  }
}
