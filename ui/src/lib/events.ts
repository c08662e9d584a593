// Subscribe to a backend event and get a plain synchronous stop function.
// Handles the races (stop before the subscription resolved) and never throws
// (no backend, or the backend already gone when stopping).
export function subscribe(register: () => Promise<() => void>): () => void {
  let stopped = false;
  let unlisten: (() => void) | null = null;
  const stopNow = (fn: () => void) => {
    try {
      const r = fn() as unknown;
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      /* ignore */
    }
  };
  try {
    register()
      .then((fn) => {
        if (stopped) stopNow(fn);
        else unlisten = fn;
      })
      .catch(() => {});
  } catch {
    /* no backend */
  }
  return () => {
    stopped = true;
    if (unlisten) stopNow(unlisten);
    unlisten = null;
  };
}
