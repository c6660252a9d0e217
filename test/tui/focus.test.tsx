/**
 * Focus reports (`ESC [ I`, `ESC [ O`, sent by a terminal asked with DECSET 1004) change what the cockpit knows
 * of its focus and are never keys: not a command in a view, not text in the new-task form, not bytes for a
 * session taken over.
 */
import { describe, expect, it } from 'vitest';
import { fleetEvents } from '../cockpit/fixtures.js';
import { KEY, mountEach } from './harness.js';

const app = mountEach();
const FOCUS_OUT = '\x1b[O';
const FOCUS_IN = '\x1b[I';

describe('focus reports', () => {
  it('tell the cockpit its focus, and reach no view, form or session as keys', async () => {
    const c = await app({ events: [...fleetEvents(1, 1)] });
    const focus = c.controller.focus;
    expect(focus.reported()).toBeNull();
    expect(focus.focused()).toBe(true); // a terminal that says nothing is taken as focused
    let changes = 0;
    const stop = focus.subscribe(() => changes++);

    const message = () => c.lines().at(-2)!.trim();
    const before = message();
    await c.press(FOCUS_OUT, () => focus.reported() === false);
    expect(focus.focused()).toBe(false);
    expect(message()).toBe(before); // no "no command" for it
    await c.press(FOCUS_IN, () => focus.reported() === true);
    await c.press(FOCUS_IN, () => true); // the same again: no change
    expect(changes).toBe(2);

    // a session taken over gets the keys typed, and not the focus reports between them
    await c.press(KEY.enter, (x) => x.lines()[1]!.includes('fleet › studio-01'));
    await c.press('t', { shows: 'TAKEOVER of s-1001' });
    for (const k of ['l', FOCUS_OUT, 's', FOCUS_IN]) await c.press(k, () => true);
    await c.until((x) => x.port.ops('send').length === 2);
    await c.press(KEY.enter, (x) => x.port.ops('send').length === 3);
    expect(c.port.ops('send').map((x) => (x.args as { text: string }).text)).toEqual(['l', 's', '\r']);
    expect(focus.focused()).toBe(true);
    stop();
  });
});
