/** A tile re-renders when its own node's summary changes, and at no other time. */
import { act, Profiler } from 'react';
import { Box, render } from 'ink';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetStore } from '../../src/cockpit/store.js';
import { VpTile } from '../../src/tui/components/VpTile.js';
import { TuiContext } from '../../src/tui/context.js';
import { Controller } from '../../src/tui/controller.js';
import { DEFAULT_THEME } from '../../src/tui/theme.js';
import { at, fleetEvents, session, sessionEvent } from '../cockpit/fixtures.js';
import { FakePort } from './harness.js';
import { EventEmitter } from 'node:events';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

class Out extends EventEmitter {
  columns = 160;
  rows = 48;
  write = () => true;
}

describe('tile renders', () => {
  it('only the tile whose summary changed re-renders; bytes and repeats re-render nothing', async () => {
    const store = new FleetStore({ tickMs: 0 });
    const port = new FakePort();
    const controller = new Controller({ fleet: store, port, repo: '/r', onQuit: () => {} });
    for (const e of fleetEvents(4, 2)) store.ingest(e);
    store.flush();
    const renders = new Map<string, number>();
    const names = store.getSnapshot().order;
    // act(): React has done all the work the change caused (renders, effects) when it returns
    const env = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
    env.IS_REACT_ACT_ENVIRONMENT = true;
    const inst = await act(() =>
      render(
        <TuiContext.Provider value={{ fleet: store, controller, port, theme: DEFAULT_THEME }}>
          <Box>
            {names.map((n) => (
              <Profiler key={n} id={n} onRender={(id) => renders.set(id, (renders.get(id) ?? 0) + 1)}>
                <VpTile name={n} width={38} height={9} focused={false} />
              </Profiler>
            ))}
          </Box>
        </TuiContext.Provider>,
        { stdout: new Out() as unknown as NodeJS.WriteStream, debug: true, patchConsole: false },
      ),
    );
    cleanups.push(() => {
      inst.unmount();
      store.dispose();
    });
    cleanups.push(() => void (env.IS_REACT_ACT_ENVIRONMENT = false)); // first: unmounting is not a change to wait for
    const base = new Map(renders);
    const delta = () => Object.fromEntries(names.map((n) => [n, (renders.get(n) ?? 0) - (base.get(n) ?? 0)]));

    // new terminal bytes only (outputSeq), and a repeat of a report: nothing to draw
    await act(() => {
      store.ingest(sessionEvent(session('studio-02', 's-2001', { activity: 'editing file 1', outputSeq: 4096 })));
      store.ingest(sessionEvent(session('studio-03', 's-3001', { activity: 'editing file 1' })));
      store.flush();
    });
    expect(delta()).toEqual({ 'studio-01': 0, 'studio-02': 0, 'studio-03': 0, 'studio-04': 0 });

    // what studio-02 is doing changes: its tile, and only its tile
    await act(() => {
      store.ingest(sessionEvent(session('studio-02', 's-2001', { activity: 'running the tests', updatedAt: at(10) })));
      store.flush();
    });
    expect(delta()).toEqual({ 'studio-01': 0, 'studio-02': 1, 'studio-03': 0, 'studio-04': 0 });
  });
});
