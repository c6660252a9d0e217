/**
 * The one owner of key input: ink's useInput is called here and nowhere else. Each key press goes to the
 * controller, which hands it to the top layer of the focus stack. The raw sequence ink read is kept for a
 * takeover, so that the session receives the bytes the terminal sent. Focus reports (`ESC [ I`, `ESC [ O`, and
 * either after an ESC) are taken out first; one split across two reads of stdin is not recognised (ink
 * parses each read on its own), see focus.ts.
 */
import { useEffect, useRef } from 'react';
import { useInput, useStdin } from 'ink';
import { useTui } from '../context.js';

export function InputOwner(): null {
  const { controller } = useTui();
  const { internal_eventEmitter: events } = useStdin();
  const raw = useRef<string | undefined>(undefined);
  // registered before useInput's own listener, so that it has the sequence when the parsed key arrives
  useEffect(() => {
    if (!events) return;
    const keep = (data: string) => {
      raw.current = data;
    };
    events.prependListener('input', keep);
    return () => {
      events.removeListener('input', keep);
    };
  }, [events]);
  useInput((input, key) => {
    const seq = raw.current;
    raw.current = undefined;
    // the terminal saying it gained or lost focus is not a key
    if (controller.focus.take(seq)) return;
    controller.handleKey(input, key, seq);
  });
  return null;
}
