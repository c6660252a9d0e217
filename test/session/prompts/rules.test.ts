import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, detectDialog, parseRules, RulesError } from '../../../src/session/prompts/index.js';
import * as F from './facts-screens.js';

const RULES_FILE = new URL('../../../src/session/prompts/rules.json', import.meta.url);
const shipped = () =>
  JSON.parse(readFileSync(RULES_FILE, 'utf8')) as { version: number; rules: Record<string, unknown>[] };

function rejects(mutate: (json: ReturnType<typeof shipped>) => void, message: RegExp): void {
  const json = shipped();
  mutate(json);
  expect(() => parseRules(json, 'test-rules.json')).toThrow(RulesError);
  expect(() => parseRules(json, 'test-rules.json')).toThrow(message);
}

describe('rules.json', () => {
  it('loads and has the rules the session relies on, permission first and the catch-all last', () => {
    const ids = DEFAULT_RULES.rules.map((r) => r.id);
    for (const id of [
      'trust-folder',
      'api-key',
      'mcp-servers',
      'mcp-server-single',
      'external-imports',
      'settings-error',
      'bypass-mode',
      'onboarding-theme',
      'onboarding-login',
      'permission',
    ]) {
      expect(ids).toContain(id);
    }
    expect(ids[0]).toBe('permission');
    expect(ids.at(-1)).toBe('unknown-dialog');
  });

  it('every choose rule names labels, every rule a description', () => {
    for (const r of DEFAULT_RULES.rules) {
      expect(r.description.length, r.id).toBeGreaterThan(20);
      if ('choose' in r.action) expect(r.action.choose.length, r.id).toBeGreaterThan(0);
    }
  });
});

describe('parseRules fails loudly, naming the file and the bad value', () => {
  it('a wrong version', () => rejects((j) => (j.version = 2), /test-rules\.json: version: expected 1, got 2/));
  it('no rules', () => rejects((j) => (j.rules = []), /rules: expected a non-empty array/));
  it('an unknown key (a typo)', () => rejects((j) => (j.rules[0]!.matches = []), /rules\[0\]\.matches: unknown key/));
  it('two actions at once', () =>
    rejects(
      (j) => (j.rules[3]!.action = { choose: ['Yes'], escalate: true }),
      /rules\[3\] \(trust-folder\)\.action: needs exactly one of choose, keys, escalate, fail \(has choose, escalate\)/,
    ));
  it('no action', () => rejects((j) => (j.rules[3]!.action = { report: true }), /has none/));
  it('an unknown key name', () =>
    rejects(
      (j) => (j.rules[4]!.action = { keys: 'return' }),
      /action\.keys: expected one of enter, escape, space, tab, up, down, got "return"/,
    ));
  it('escalate: false', () =>
    rejects((j) => (j.rules[0]!.action = { escalate: false }), /action\.escalate: expected true, got false/));
  it('an empty label', () =>
    rejects(
      (j) => (j.rules[3]!.action = { choose: ['Yes', ' '] }),
      /action\.choose\[1\]: expected a non-empty string/,
    ));
  it('a duplicate id', () =>
    rejects((j) => (j.rules[2]!.id = 'permission'), /rules\[2\]\.id: duplicate id "permission"/));
  it('a bad id', () => rejects((j) => (j.rules[2]!.id = 'Plan Approval'), /expected a kebab-case id/));
  it('an unknown zone', () =>
    rejects(
      (j) => (j.rules[3]!.match = [{ title: { any: ['x'] } }]),
      /match\[0\]\.title: unknown key \(allowed: heading, question, options, footer, text\)/,
    ));
  it('a test with nothing in it', () =>
    rejects(
      (j) => (j.rules[3]!.match = [{ heading: {} }]),
      /match\[0\]\.heading: needs at least one of all, any, none/,
    ));
  it('no alternatives', () =>
    rejects((j) => (j.rules[3]!.match = []), /match: expected a non-empty array of alternatives/));
  it('an unknown structure', () =>
    rejects(
      (j) => (j.rules[3]!.structure = ['menu']),
      /structure\[0\]: expected one of options, checklist, footer, screen/,
    ));
  it('an unknown detail field', () =>
    rejects(
      (j) => (j.rules[0]!.details = { kinds: [{ field: 'cmd' }] }),
      /details\.kinds\[0\]\.field: expected one of command/,
    ));
  it('not an object at all', () => {
    expect(() => parseRules(null, 'x.json')).toThrow(/x\.json: \(top\): expected an object, got null/);
    expect(() => parseRules([], 'x.json')).toThrow(/expected an object/);
  });
});

describe('rules passed by the caller', () => {
  it('replace the built-in ones', () => {
    const only = parseRules({
      version: 1,
      rules: [{ id: 'any-menu', description: 'anything with options', match: [{}], action: { keys: 'escape' } }],
    });
    const d = detectDialog(F.screen(F.TRUST), only);
    expect(d?.rule).toBe('any-menu');
  });

  it('without a catch-all, an unknown menu is no detection', () => {
    const none = parseRules({
      version: 1,
      rules: [
        {
          id: 'x',
          description: 'matches nothing here',
          match: [{ heading: { any: ['^nothing like this'] } }],
          action: { escalate: true },
        },
      ],
    });
    expect(detectDialog(F.screen(F.TRUST), none)).toBeNull();
  });
});
