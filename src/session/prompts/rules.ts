/**
 * The dialog rules: rules.json, checked by hand when loaded (a malformed file is a bug in agency, so it
 * fails loudly with the path of the bad value, not at the first dialog that needs the rule).
 */
import builtIn from './rules.json' with { type: 'json' };
import {
  DETAIL_FIELDS,
  KEY_NAMES,
  STRUCTURES,
  ZONES,
  type Action,
  type DetailKind,
  type FragmentTest,
  type MatchSpec,
  type Rule,
  type RuleSet,
} from './types.js';

export class RulesError extends Error {
  override name = 'RulesError';
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

class Checker {
  constructor(private readonly source: string) {}

  fail(path: string, what: string): never {
    throw new RulesError(`${this.source}: ${path}: ${what}`);
  }

  obj(x: unknown, path: string, allowed: readonly string[]): Obj {
    if (!isObj(x)) this.fail(path, `expected an object, got ${describe(x)}`);
    for (const k of Object.keys(x)) {
      if (!allowed.includes(k)) this.fail(`${path}.${k}`, `unknown key (allowed: ${allowed.join(', ')})`);
    }
    return x;
  }

  str(x: unknown, path: string): string {
    if (typeof x !== 'string' || x.trim() === '') this.fail(path, `expected a non-empty string, got ${describe(x)}`);
    return x;
  }

  strings(x: unknown, path: string): string[] {
    if (!Array.isArray(x) || x.length === 0)
      this.fail(path, `expected a non-empty array of strings, got ${describe(x)}`);
    return x.map((s, i) => this.str(s, `${path}[${i}]`));
  }

  bool(x: unknown, path: string): boolean {
    if (typeof x !== 'boolean') this.fail(path, `expected true or false, got ${describe(x)}`);
    return x;
  }

  oneOf<T extends string>(x: unknown, path: string, allowed: readonly T[]): T {
    if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) {
      this.fail(path, `expected one of ${allowed.join(', ')}, got ${describe(x)}`);
    }
    return x as T;
  }
}

function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function fragmentTest(c: Checker, x: unknown, path: string): FragmentTest {
  const o = c.obj(x, path, ['all', 'any', 'none']);
  const t: FragmentTest = {};
  if (o.all !== undefined) t.all = c.strings(o.all, `${path}.all`);
  if (o.any !== undefined) t.any = c.strings(o.any, `${path}.any`);
  if (o.none !== undefined) t.none = c.strings(o.none, `${path}.none`);
  if (!t.all && !t.any && !t.none) c.fail(path, 'needs at least one of all, any, none');
  return t;
}

function matchSpec(c: Checker, x: unknown, path: string): MatchSpec {
  const o = c.obj(x, path, ZONES);
  const spec: MatchSpec = {};
  for (const zone of ZONES) {
    if (o[zone] !== undefined) spec[zone] = fragmentTest(c, o[zone], `${path}.${zone}`);
  }
  return spec;
}

function action(c: Checker, x: unknown, path: string): Action {
  const o = c.obj(x, path, ['choose', 'keys', 'escalate', 'fail', 'report']);
  const kinds = ['choose', 'keys', 'escalate', 'fail'].filter((k) => o[k] !== undefined);
  if (kinds.length !== 1)
    c.fail(path, `needs exactly one of choose, keys, escalate, fail (has ${kinds.join(', ') || 'none'})`);
  const report = o.report === undefined ? {} : { report: c.bool(o.report, `${path}.report`) };
  if (o.choose !== undefined) return { choose: c.strings(o.choose, `${path}.choose`), ...report };
  if (o.keys !== undefined) {
    const keys = Array.isArray(o.keys)
      ? c.strings(o.keys, `${path}.keys`).map((k, i) => c.oneOf(k, `${path}.keys[${i}]`, KEY_NAMES))
      : c.oneOf(o.keys, `${path}.keys`, KEY_NAMES);
    return { keys, ...report };
  }
  if (o.escalate !== undefined) {
    if (o.escalate !== true) c.fail(`${path}.escalate`, `expected true, got ${describe(o.escalate)}`);
    return { escalate: true, ...report };
  }
  return { fail: c.str(o.fail, `${path}.fail`), ...report };
}

function detailKind(c: Checker, x: unknown, path: string): DetailKind {
  const o = c.obj(x, path, ['tool', 'title', 'question', 'field']);
  const k: DetailKind = { field: c.oneOf(o.field, `${path}.field`, DETAIL_FIELDS) };
  if (o.tool !== undefined) k.tool = c.str(o.tool, `${path}.tool`);
  if (o.title !== undefined) k.title = c.strings(o.title, `${path}.title`);
  if (o.question !== undefined) k.question = c.strings(o.question, `${path}.question`);
  return k;
}

function rule(c: Checker, x: unknown, path: string): Rule {
  const o = c.obj(x, path, ['id', 'description', 'structure', 'match', 'action', 'details']);
  const id = c.str(o.id, `${path}.id`);
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(id)) c.fail(`${path}.id`, `expected a kebab-case id, got ${describe(id)}`);
  const at = `${path} (${id})`;
  const structure =
    o.structure === undefined
      ? (['options'] as Rule['structure'])
      : c.strings(o.structure, `${at}.structure`).map((s, i) => c.oneOf(s, `${at}.structure[${i}]`, STRUCTURES));
  if (!Array.isArray(o.match) || o.match.length === 0)
    c.fail(`${at}.match`, `expected a non-empty array of alternatives, got ${describe(o.match)}`);
  const match = o.match.map((m, i) => matchSpec(c, m, `${at}.match[${i}]`));
  const r: Rule = {
    id,
    description: c.str(o.description, `${at}.description`),
    structure,
    match,
    action: action(c, o.action, `${at}.action`),
  };
  if (o.details !== undefined) {
    const d = c.obj(o.details, `${at}.details`, ['question', 'kinds']);
    r.details = {};
    if (d.question !== undefined) r.details.question = c.bool(d.question, `${at}.details.question`);
    if (d.kinds !== undefined) {
      if (!Array.isArray(d.kinds)) c.fail(`${at}.details.kinds`, `expected an array, got ${describe(d.kinds)}`);
      r.details.kinds = d.kinds.map((k, i) => detailKind(c, k, `${at}.details.kinds[${i}]`));
    }
  }
  return r;
}

/**
 * Check a parsed rules file and return it typed. `source` names it in errors. Rules are tried in
 * order: the first that matches a dialog wins, so specific rules come before general ones.
 */
export function parseRules(json: unknown, source = 'rules'): RuleSet {
  const c: Checker = new Checker(source);
  const top = c.obj(json, '(top)', ['$comment', 'version', 'rules']);
  if (top.version !== 1) c.fail('version', `expected 1, got ${describe(top.version)}`);
  if (!Array.isArray(top.rules) || top.rules.length === 0)
    c.fail('rules', `expected a non-empty array, got ${describe(top.rules)}`);
  const rules = top.rules.map((r, i) => rule(c, r, `rules[${i}]`));
  const seen = new Set<string>();
  for (const [i, r] of rules.entries()) {
    if (seen.has(r.id)) c.fail(`rules[${i}].id`, `duplicate id "${r.id}"`);
    seen.add(r.id);
  }
  return { version: 1, rules };
}

/** The rules shipped with agency (src/session/prompts/rules.json), checked when this module loads. */
export const DEFAULT_RULES: RuleSet = parseRules(builtIn, 'src/session/prompts/rules.json');
