/** What every component of the cockpit reads: the fleet store, the controller (keys and UI state), the port and the theme. */
import { createContext, useContext } from 'react';
import type { CockpitPort } from '../cockpit/types.js';
import type { Controller, FleetSource } from './controller.js';
import type { Theme } from './theme.js';

export interface TuiDeps {
  fleet: FleetSource;
  controller: Controller;
  port: CockpitPort;
  theme: Theme;
}

export const TuiContext = createContext<TuiDeps | null>(null);

export function useTui(): TuiDeps {
  const d = useContext(TuiContext);
  if (!d) throw new Error('cockpit components must be rendered inside <TuiContext.Provider>');
  return d;
}
