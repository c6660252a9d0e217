/** The keys of the overlays: a takeover's release, a question's yes and no, and the input line. */
import type { PromptPurpose } from '../layers.js';
import { always, onConfirm, onPrompt, type PromptContext } from './when.js';
import { bind, type Actions, type KeyContext } from './binding.js';
import { amountAnswer, budgetName, budgetStopOf, formatAmount } from '../../cockpit/budget-text.js';

import type { Decision } from '../../cockpit/types.js';

/** Opens the input line for the node and session in focus. */
export function openPrompt(a: Actions, c: KeyContext, purpose: PromptPurpose, title: string, text = ''): void {
  a.push({
    kind: 'prompt',
    purpose,
    title,
    text,
    ...(c.node ? { node: c.node } : {}),
    ...(c.session ? { session: c.session.id } : {}),
  });
}

/** Approves a budget decision, extending its budget by the amount typed (nothing: the first preset; 1–9: a preset). */
function extend(a: Actions, d: Decision, text: string): void {
  const stop = budgetStopOf(d);
  const amount = amountAnswer(text, stop?.presets ?? []);
  if ('problem' in amount) return a.say(`not approved: ${amount.problem}`, 'error');
  a.perform(
    `approved: ${d.id} extends ${stop ? budgetName(stop) : 'the budget'} by ${formatAmount(amount)}`,
    a.port.request(d.node, 'decide', { decision: d.id, approve: true, amount }),
    'decision',
  );
}

function submit(a: Actions, { top }: PromptContext): void {
  a.pop();
  const text = top.text;
  if (top.purpose === 'filter') return a.set({ filter: text.trim(), nodeCursor: null });
  if (top.purpose === 'amount' && top.decision) return extend(a, top.decision, text);
  if (text.trim() === '') return a.say('nothing typed: nothing sent', 'why');
  if (top.purpose === 'send' && top.node && top.session) {
    return a.perform(`sent to ${top.session}`, a.port.request(top.node, 'send', { session: top.session, text }));
  }
}

/** The text field in front of the operator: the input line's, or the form's field in focus (none on its node field). */
function erase(a: Actions, c: KeyContext): void {
  const top = c.top;
  const cut = (s: string) => Array.from(s).slice(0, -1).join('');
  if (top.kind === 'prompt') a.replaceTop({ ...top, text: cut(top.text) });
  else if (top.kind === 'form' && top.field !== 'node' && !top.busy)
    a.replaceTop({ ...top, [top.field]: cut(top[top.field]) });
}

export const OVERLAY_BINDINGS = [
  bind({
    id: 'release',
    keys: ['ctrl+]'],
    description: 'give the keyboard back (every other key goes to the session)',
    layers: ['takeover'],
    hint: 'release',
    when: always,
    run: (a) => {
      a.pop();
      a.say('keyboard released');
    },
  }),
  bind({
    id: 'yes',
    keys: ['y', 'enter'],
    description: 'confirm',
    layers: ['confirm'],
    hint: 'yes',
    when: onConfirm,
    run: (a, { top }) => {
      a.pop();
      top.onYes();
    },
  }),
  bind({
    id: 'no',
    keys: ['n', 'escape'],
    description: 'cancel',
    layers: ['confirm'],
    hint: 'no',
    when: always,
    run: (a) => a.pop(),
  }),
  bind({
    id: 'submit',
    keys: ['enter'],
    description: 'send what you typed',
    layers: ['prompt'],
    hint: 'send',
    when: onPrompt,
    run: submit,
  }),
  bind({
    id: 'cancel',
    keys: ['escape'],
    description: 'cancel the input line or the new-task form',
    layers: ['prompt', 'form'],
    hint: 'cancel',
    when: always,
    run: (a) => a.pop(),
  }),
  bind({
    id: 'erase',
    keys: ['backspace'],
    description: 'erase the last character',
    layers: ['prompt', 'form'],
    when: always,
    run: erase,
  }),
];
