/**
 * Typed events, as node-pty's `onData(): IDisposable` is: subscribing returns the way to unsubscribe. Every
 * module that offers `onEvent`, `onChange`, `onData`... keeps its listeners in an Emitter.
 */

/** What a subscription returns: call dispose() to stop hearing. */
export interface Disposable {
  dispose(): void;
}

export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  /** Adds a listener; the same function subscribed twice is two subscriptions, each with its own disposer. */
  on(listener: (value: T) => void): Disposable {
    const own = (value: T) => listener(value);
    this.listeners.add(own);
    return { dispose: () => void this.listeners.delete(own) };
  }

  /** How many listeners there are now. */
  get size(): number {
    return this.listeners.size;
  }

  /**
   * Calls the listeners there were when it was called, in the order they subscribed. A listener that throws
   * stops neither the others nor the code that emitted (a parser, a frame decoder): its error is rethrown later.
   */
  emit(value: T): void {
    for (const l of [...this.listeners]) {
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
