/**
 * Reading the stores from components: `useSyncExternalStore` with a selector whose result is kept while it
 * is equal to the last one, so that a component re-renders only when the part it reads has changed.
 */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useStdout } from 'ink';
import type { FleetState } from '../cockpit/types.js';
import { useTui } from './context.js';
import type { UiState } from './ui-state.js';

export type Equal<T> = (a: T, b: T) => boolean;

export const sameItems = <T>(a: readonly T[], b: readonly T[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function useSelected<S, T>(
  subscribe: (l: () => void) => () => void,
  get: () => S,
  select: (s: S) => T,
  equal: Equal<T>,
): T {
  const last = useRef<{ value: T } | null>(null);
  const snapshot = useCallback(() => {
    const next = select(get());
    if (last.current && equal(last.current.value, next)) return last.current.value;
    last.current = { value: next };
    return next;
  }, [get, select, equal]);
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}

/** A part of the fleet state; `select` should be stable (module-level or useCallback). */
export function useFleet<T>(select: (s: FleetState) => T, equal: Equal<T> = Object.is): T {
  const { fleet } = useTui();
  return useSelected(fleet.subscribe, fleet.getSnapshot, select, equal);
}

export function useUi<T>(select: (s: UiState) => T, equal: Equal<T> = Object.is): T {
  const { controller } = useTui();
  return useSelected(controller.subscribe, controller.getSnapshot, select, equal);
}

/** The terminal's size, following resizes. */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () =>
      setSize((old) => {
        const next = read();
        return old.columns === next.columns && old.rows === next.rows ? old : next;
      });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
