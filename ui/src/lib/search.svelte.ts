// Search-as-you-type over the local index; kept across navigation.
import { searchArticles, type SearchHit } from '../ipc';
import { errorMessage } from './errors';

/** One frame: keystrokes typed within it make one search. A search over 100k articles
 * takes about 5 ms (p99 20 ms, BENCHMARKS.md), so waiting longer only delays results;
 * an answer to an older query is dropped when it arrives (`request` below). */
export const SEARCH_DEBOUNCE_MS = 16;

export const search = $state({
  query: '',
  /** The query the current results answer. */
  answered: '',
  hits: [] as SearchHit[],
  busy: false,
  error: null as string | null,
});

let timer: ReturnType<typeof setTimeout> | undefined;
let request = 0;

export function setQuery(q: string): void {
  search.query = q;
  clearTimeout(timer);
  timer = setTimeout(() => void runSearch(), SEARCH_DEBOUNCE_MS);
}

export async function runSearch(): Promise<void> {
  clearTimeout(timer);
  const q = search.query.trim();
  const token = ++request;
  if (q === '') {
    search.hits = [];
    search.answered = '';
    search.busy = false;
    search.error = null;
    return;
  }
  search.busy = true;
  try {
    const hits = await searchArticles(q, 50);
    if (token !== request) return;
    search.hits = hits;
    search.answered = q;
    search.error = null;
  } catch (e) {
    if (token !== request) return;
    search.error = errorMessage(e);
  } finally {
    if (token === request) search.busy = false;
  }
}

export function resetSearch(): void {
  clearTimeout(timer);
  request++;
  search.query = '';
  search.answered = '';
  search.hits = [];
  search.busy = false;
  search.error = null;
}
