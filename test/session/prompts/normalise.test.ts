import { describe, expect, it } from 'vitest';
import {
  cleanLine,
  fold,
  isFooter,
  isLaterUi,
  isRule,
  normaliseText,
  paragraphs,
  parseOptionLine,
  unwrap,
  wrapWidth,
} from '../../../src/session/prompts/normalise.js';

describe('cleanLine', () => {
  it('strips escape sequences and control characters, keeps indentation', () => {
    expect(cleanLine('  \x1b[38;5;153m❯\x1b[39m 1. Yes\x1b[0m\x07')).toBe('  ❯ 1. Yes');
    expect(cleanLine('\x1b]0;title\x07 text')).toBe(' text');
    expect(cleanLine('a\x00b\x1fc\x7fd\x9be')).toBe('abcde');
  });

  it('removes zero-width and bidi override characters (hostile bytes)', () => {
    expect(cleanLine('Yes\u200b, I \u202etrust\u202c this folder\ufeff')).toBe('Yes, I trust this folder');
  });

  it('unifies quotes and odd spaces', () => {
    expect(cleanLine('don\u2019t \u2018x\u2019 \u201cy\u201d\u00a0z\tw')).toBe("don't 'x' \"y\" z w");
  });

  it('blanks the sides of a box', () => {
    expect(cleanLine('│ ❯ 1. Yes, proceed        │')).toBe('  ❯ 1. Yes, proceed');
  });
});

describe('normaliseText, fold, unwrap', () => {
  it('collapses whitespace', () => {
    expect(normaliseText('  a   b \t c  ')).toBe('a b c');
    expect(fold('Checking   Connectivity\u2026 \u2014 ok')).toBe('checking connectivity... - ok');
  });

  it('joins prose wrapped across lines', () => {
    expect(
      unwrap([' Quick safety check: Is this a project you created or one', ' you trust? (Like your own code)']),
    ).toBe('Quick safety check: Is this a project you created or one you trust? (Like your own code)');
  });

  it('splits paragraphs on blank lines, rules and dashed separators', () => {
    expect(paragraphs([' Create file', ' a.txt', '╌╌╌╌╌╌╌╌', '  1 hello', '╌╌╌╌╌╌╌╌', ' Do you?', '', 'x'])).toEqual([
      [' Create file', ' a.txt'],
      ['  1 hello'],
      [' Do you?'],
      ['x'],
    ]);
  });
});

describe('parseOptionLine', () => {
  it('reads number, label and cursor', () => {
    expect(parseOptionLine(' ❯ 1. Yes, I trust this folder')).toMatchObject({
      kind: 'numbered',
      n: 1,
      label: 'Yes, I trust this folder',
      selected: true,
      itemCol: 3,
    });
    expect(parseOptionLine('   2. No, exit')).toMatchObject({ n: 2, label: 'No, exit', selected: false, itemCol: 3 });
    expect(parseOptionLine('> 3. No')).toMatchObject({ n: 3, selected: true });
    expect(parseOptionLine('  12. Twelfth')).toMatchObject({ n: 12, label: 'Twelfth' });
  });

  it('reads "2.Yes": a wrapped label loses the space after the dot on 2.1.197', () => {
    expect(parseOptionLine('   2.Yes, and always allow access to repo2/ from this')).toMatchObject({
      n: 2,
      label: 'Yes, and always allow access to repo2/ from this',
    });
  });

  it('reads checklist items', () => {
    expect(parseOptionLine('  ❯ [✔] fs')).toMatchObject({
      kind: 'checkbox',
      label: 'fs',
      selected: true,
      checked: true,
    });
    expect(parseOptionLine('    [ ] web')).toMatchObject({
      kind: 'checkbox',
      label: 'web',
      selected: false,
      checked: false,
    });
  });

  it('is not fooled by the idle prompt, diff lines, decimals or bare numbers', () => {
    expect(parseOptionLine('❯ ')).toBeNull();
    expect(parseOptionLine('❯ do the task')).toBeNull();
    expect(parseOptionLine('  1 hello')).toBeNull();
    expect(parseOptionLine(' 12 +const port = 8080;')).toBeNull();
    expect(parseOptionLine('1.5x faster')).toBeNull();
    expect(parseOptionLine('  3.')).toBeNull();
  });
});

describe('screen furniture', () => {
  it('rules are full lines of ─, not the diff separators', () => {
    expect(isRule('─'.repeat(120))).toBe(true);
    expect(isRule('╭' + '─'.repeat(40) + '╮')).toBe(true);
    expect(isRule('╌'.repeat(40))).toBe(false);
    expect(isRule('╭─── Claude Code v2.1.197 ───╮')).toBe(false);
    expect(isRule('  ├ hooks.PreToolUse.0.hooks: Expected array')).toBe(false);
  });

  it('footers are key hints; the idle status line and a spinner are not', () => {
    expect(isFooter(' Enter to confirm · Esc to cancel')).toBe(true);
    expect(isFooter(' Esc to cancel · Tab to amend · ctrl+e to explain')).toBe(true);
    expect(isFooter(' Esc to cancel · Tab to add')).toBe(true);
    expect(isFooter(' Space to select · Enter to confirm · Esc to reject all')).toBe(true);
    expect(isFooter('Enter to select · ↑/↓ to navigate · Esc to cancel')).toBe(true);
    expect(isFooter('Press Enter to continue…')).toBe(true);
    expect(isFooter('  ? for shortcuts · ← for agents')).toBe(false);
    expect(isFooter('✻ Thinking… (esc to interrupt)')).toBe(false);
    expect(isFooter('  Press Ctrl-C again to exit')).toBe(false);
  });

  it('later UI: transcript bullets, the idle prompt, the exit message', () => {
    expect(isLaterUi('● Bash(rm -rf x)')).toBe(true);
    expect(isLaterUi('  ⎿  Interrupted · What should Claude do instead?')).toBe(true);
    expect(isLaterUi('❯ ')).toBe(true);
    expect(isLaterUi('Resume this session with:')).toBe(true);
    expect(isLaterUi(' ❯ 1. Yes')).toBe(false);
  });

  it('the wrap width is the longest rule', () => {
    expect(wrapWidth(['─'.repeat(60), 'x'.repeat(70)])).toBe(60);
    expect(wrapWidth(['short', 'x'.repeat(70)])).toBe(70);
  });
});
