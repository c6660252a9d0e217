import type { Disposable } from './types.js';

/** A typed event: `on` returns its own disposer, as node-pty's `onData` does. */
export class Emitter<T> {
  private listeners = new Set<(value: T) => void>();

  on(listener: (value: T) => void): Disposable {
    const own = (value: T) => listener(value); // the same function subscribed twice is two subscriptions
    this.listeners.add(own);
    return { dispose: () => void this.listeners.delete(own) };
  }

  get size(): number {
    return this.listeners.size;
  }

  /** A listener that throws does not stop the others, nor the parser that fired the event: its error is rethrown later. */
  fire(value: T): void {
    for (const l of this.listeners) {
      try {
        l(value);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
