/**
 * What must not outlive an interrupted genesis: running claude processes (each in its own process group) and
 * temporary folders. Each is registered while it exists; on SIGINT or SIGTERM every registered clean-up runs,
 * and agency exits as the signal would have it (130 or 143).
 */
const cleanups = new Set<() => void>();
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  for (const f of [...cleanups]) {
    try {
      f();
    } catch {
      /* the others still run */
    }
  }
  cleanups.clear();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** Registers a clean-up for an interruption; returns the function that unregisters it. */
export function onInterrupt(f: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  cleanups.add(f);
  return () => {
    cleanups.delete(f);
  };
}
