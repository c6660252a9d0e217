/**
 * Mounting the app with ink: capped frame rate, keys owned by the app (not ink's Ctrl-C). Not ink's
 * incrementalRendering: in ink 6.8 it moves the cursor up one line too few after a frame that ends in a
 * newline, so every frame scrolls the screen by a line and unchanged lines show what scrolled into them.
 */
import { render, type Instance } from 'ink';
import type { CockpitPort } from '../cockpit/types.js';
import { App } from './components/App.js';
import type { Controller, FleetSource } from './controller.js';
import type { Theme } from './theme.js';

export interface MountOptions {
  fleet: FleetSource;
  controller: Controller;
  port: CockpitPort;
  theme: Theme;
  maxFps?: number;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** after each frame is made (for benchmarks) */
  onRender?: (metrics: { renderTime: number }) => void;
}

export function mount(o: MountOptions): Instance {
  return render(<App fleet={o.fleet} controller={o.controller} port={o.port} theme={o.theme} />, {
    exitOnCtrlC: false,
    patchConsole: true,
    maxFps: o.maxFps ?? 30,
    ...(o.stdout ? { stdout: o.stdout } : {}),
    ...(o.stdin ? { stdin: o.stdin } : {}),
    ...(o.onRender ? { onRender: o.onRender } : {}),
  });
}
