/** The shape of a shell command line as the guard reads it (shell-parse.ts builds it, walk.ts reads it). */

/** A piece of a word, before expansion. `q`: quoted, so neither braces nor globs apply to it. */
export type Part =
  | { k: 'lit'; v: string; q: boolean }
  /** `~` or `~user` at the start of a word or an assignment value */
  | { k: 'tilde'; user: string }
  /** `$NAME`, `${NAME}`, `${NAME:-word}` (dflt), or any other `${…}` form (other: its value is unknown) */
  | { k: 'var'; name: string; q: boolean; dflt?: Part[]; other?: boolean }
  /** `$(…)` or backticks: the body runs, the value is its output */
  | { k: 'sub'; body: List; q: boolean }
  /** `<(…)` or `>(…)`: the body runs, the value is a /dev/fd path */
  | { k: 'proc'; body: List }
  /** `$((…))` and the like: the value is unknown, the substitutions inside still run */
  | { k: 'opaque'; subs: List[] };

export interface Word {
  parts: Part[];
  /** the source text, for messages */
  raw: string;
}

export interface Redir {
  /** `<`, `>`, `>>`, `>|`, `<>`, `&>`, `&>>`, `>&`, `<&`, `<<`, `<<-`, `<<<` */
  op: string;
  fd: string | null;
  target: Word;
  /** for `<<` and `<<-`: the document's text as parts, filled in when its lines are read */
  doc?: Part[];
}

export interface Assign {
  name: string;
  /** null for an array `(…)` */
  value: Word | null;
}

export type Command =
  | { k: 'simple'; assigns: Assign[]; words: Word[]; redirs: Redir[] }
  | { k: 'subshell' | 'group'; body: List; redirs: Redir[] }
  | { k: 'if'; branches: { cond: List; body: List }[]; otherwise: List | null; redirs: Redir[] }
  /** while/until (cond), for/select (words: null for `for x; do`, or the arithmetic form) */
  | { k: 'loop'; cond: List | null; words: Word[] | null; body: List; redirs: Redir[] }
  | { k: 'case'; word: Word; arms: { patterns: Word[]; body: List }[]; redirs: Redir[] }
  | { k: 'func'; name: string; body: Command }
  /** `[[ … ]]` and `(( … ))`: nothing runs but the substitutions in the words */
  | { k: 'test'; words: Word[] };

export interface Pipeline {
  bang: boolean;
  cmds: Command[];
}

export interface AndOr {
  first: Pipeline;
  rest: { op: '&&' | '||'; p: Pipeline }[];
}

export interface List {
  items: { ao: AndOr; bg: boolean }[];
}

export class ParseError extends Error {}
