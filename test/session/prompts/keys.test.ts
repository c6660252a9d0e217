import { describe, expect, it } from 'vitest';
import {
  coreLabel,
  detectDialog,
  KEY_BYTES,
  keysFor,
  keysForOption,
  keysToSelectByArrows,
  keysToSetChecklist,
  pickOption,
  splitKeys,
  type Detection,
  type DialogOption,
} from '../../../src/session/prompts/index.js';
import * as F from './facts-screens.js';

const { up: UP, down: DOWN, enter: ENTER, space: SPACE } = KEY_BYTES;

const opts = (labels: string[], selected = 0): DialogOption[] =>
  labels.map((label, i) => ({ n: i + 1, label, selected: i === selected }));

describe('keysFor', () => {
  it('types the digit of the option chosen by label, wherever the cursor is', () => {
    const d = detectDialog(F.screen(F.TRUST_FLIPPED))!;
    expect(keysFor(d)).toBe('2');
  });

  it('types the rule’s keys', () => {
    expect(keysFor(detectDialog(F.screen(F.MCP_SERVERS))!)).toBe(ENTER);
    const multi: Detection = {
      rule: 'x',
      options: [],
      structure: 'footer',
      action: { keys: ['down', 'space', 'enter'] },
      text: '',
    };
    expect(keysFor(multi)).toBe(DOWN + SPACE + ENTER);
  });

  it('types nothing for an escalation or a failure', () => {
    expect(keysFor(detectDialog(F.screen(F.BASH))!)).toBe('');
    expect(keysFor({ rule: 'x', options: [], structure: 'screen', action: { fail: 'no' }, text: '' })).toBe('');
  });

  it('uses arrows past option 9, where one digit cannot select', () => {
    const many = opts(Array.from({ length: 12 }, (_, i) => `Choice ${i + 1}`));
    const d: Detection = {
      rule: 'x',
      options: many,
      structure: 'options',
      action: { choose: ['Choice 11'] },
      choice: { n: 11, label: 'Choice 11' },
      text: '',
    };
    expect(keysFor(d)).toBe(DOWN.repeat(10) + ENTER);
  });
});

describe('keysForOption (the operator’s answer)', () => {
  it('is the digit for a numbered menu', () => {
    const d = detectDialog(F.screen(F.BASH))!;
    expect(keysForOption(d, 3)).toBe('3');
  });

  it('names the options when asked for one that is not there', () => {
    const d = detectDialog(F.screen(F.BASH))!;
    expect(() => keysForOption(d, 7)).toThrow(
      /option 7 is not in this dialog \(it shows 1\. Yes \| 2\. Yes, and always allow access to proj2\/ from this project \| 3\. No\)/,
    );
  });
});

describe('keysToSelectByArrows', () => {
  it('gastown-4821-trust-order-flipped: Down from the pre-selected "No, exit", then Enter', () => {
    const d = detectDialog(F.screen(F.TRUST_FLIPPED))!;
    expect(keysToSelectByArrows(d.options, d.choice!.n)).toBe(DOWN + ENTER);
  });

  it('Up when the target is above the cursor, Enter alone when it is under it', () => {
    const d = detectDialog(F.screen(F.API_KEY))!;
    expect(keysToSelectByArrows(d.options, 1)).toBe(UP + ENTER);
    expect(keysToSelectByArrows(d.options, 2)).toBe(ENTER);
  });

  it('moves by screen position, not by number', () => {
    const shuffled: DialogOption[] = [
      { n: 3, label: 'c', selected: false },
      { n: 1, label: 'a', selected: true },
      { n: 2, label: 'b', selected: false },
    ];
    expect(keysToSelectByArrows(shuffled, 3)).toBe(UP + ENTER);
    expect(keysToSelectByArrows(shuffled, 2)).toBe(DOWN + ENTER);
  });

  it('starts from the first option when none is marked', () => {
    expect(keysToSelectByArrows(opts(['a', 'b', 'c'], -1), 3)).toBe(DOWN + DOWN + ENTER);
  });
});

describe('keysToSetChecklist', () => {
  it('unticks the servers not wanted, then confirms', () => {
    const d = detectDialog(F.screen(F.MCP_SERVERS))!;
    expect(keysToSetChecklist(d.options, (o) => o.label === 'fs')).toBe(DOWN + SPACE + ENTER);
    expect(keysToSetChecklist(d.options, () => true)).toBe(ENTER);
    expect(keysToSetChecklist(d.options, () => false)).toBe(SPACE + DOWN + SPACE + ENTER);
  });

  it('keysForOption on a checklist ticks exactly that item', () => {
    const d = detectDialog(F.screen(F.MCP_SERVERS))!;
    expect(keysForOption(d, 2)).toBe(SPACE + ENTER);
  });
});

describe('splitKeys', () => {
  it('keeps each arrow sequence whole', () => {
    expect(splitKeys(DOWN + SPACE + UP + ENTER + '1')).toEqual([DOWN, SPACE, UP, ENTER, '1']);
    expect(splitKeys('')).toEqual([]);
  });
});

describe('pickOption', () => {
  const o = (labels: string[]) => opts(labels);

  it('prefers labels in the order given, exact before prefix', () => {
    expect(
      pickOption(o(['Use this and all future MCP servers in this project', 'Use this MCP server']), [
        'Use this MCP server',
        'Use this and all future MCP servers in this project',
      ])?.n,
    ).toBe(2);
    expect(pickOption(o(['Yes, and always allow access', 'Yes', 'No']), ['Yes'])?.n).toBe(2);
  });

  it('ignores case, quotes, spacing and trailing hints', () => {
    expect(coreLabel('No, and tell Claude what to do differently (esc)')).toBe(
      'no, and tell claude what to do differently',
    );
    expect(pickOption(o(['NO  (recommended)', 'yes   (recommended)']), ['Yes'])?.n).toBe(2);
    expect(pickOption(o(['Yes, and don’t ask again']), ["Yes, and don't ask again"])?.n).toBe(1);
  });

  it('takes a longer or shorter wording that starts the same', () => {
    expect(
      pickOption(o(['No, exit', 'Yes, I trust this folder and its settings']), ['Yes, I trust this folder'])?.n,
    ).toBe(2);
    expect(pickOption(o(['No, exit', 'Yes']), ['Yes, I accept'])?.n).toBe(2);
  });

  it('never turns a yes into a no, however similar the rest', () => {
    expect(pickOption(o(['No, I trust this folder']), ['Yes, I trust this folder'])).toBeUndefined();
    expect(pickOption(o(['No, exit']), ['Yes, I accept'])).toBeUndefined();
    expect(pickOption(o(['Yesterday']), ['Yes'])).toBeUndefined();
  });
});
