/** The keys of the overlays: a takeover's release, a question's yes and no, and the input line. */
import type { PromptPurpose } from '../layers.js';
import { always, onConfirm, onPrompt, type PromptContext } from './when.js';
import { bind, type Actions, type KeyContext } from './binding.js';

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

function submit(a: Actions, { top }: PromptContext): void {
  a.pop();
  const text = top.text;
  if (top.purpose === 'filter') return a.set({ filter: text.trim(), nodeCursor: null });
  if (text.trim() === '') return a.say('nothing typed: nothing sent', 'why');
  if (top.purpose === 'send' && top.node && top.session) {
    return a.perform(`sent to ${top.session}`, a.port.request(top.node, 'send', { session: top.session, text }));
  }
  if (top.purpose === 'run') {
    a.say(`starting on ${top.node ?? 'the least busy node'}…`);
    a.port.run({ task: text, repo: a.repo }, top.node).then(
      (s) => a.say(`started ${s.id} on ${s.node} (${s.discipline})`),
      (e: unknown) => a.say(`new task failed: ${(e as Error)?.message ?? String(e)}`, 'error'),
    );
  }
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
    description: 'cancel the input line',
    layers: ['prompt'],
    hint: 'cancel',
    when: always,
    run: (a) => a.pop(),
  }),
  bind({
    id: 'erase',
    keys: ['backspace'],
    description: 'erase the last character',
    layers: ['prompt'],
    when: onPrompt,
    run: (a, { top }) => a.replaceTop({ ...top, text: Array.from(top.text).slice(0, -1).join('') }),
  }),
];
