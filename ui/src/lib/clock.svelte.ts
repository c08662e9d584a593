// A coarse "now" so relative times ("5 minutes ago") stay fresh without re-rendering constantly.
export const clock = $state({ now: Date.now() });

export function startClock(intervalMs = 60_000): () => void {
  clock.now = Date.now();
  const id = setInterval(() => {
    clock.now = Date.now();
  }, intervalMs);
  return () => clearInterval(id);
}
