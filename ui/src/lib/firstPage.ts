// The home list's first page, asked for when the app starts, in parallel with the editions
// and their sections that decide which list is shown. When the list turns out to be the one
// guessed (the edition last chosen, all sections), its first cards are already here: at
// 100,000 articles that is most of the time to the first card (BENCHMARKS.md).
import { listArticles, type ArticleListQuery, type ArticlePage } from '../ipc';

/** Cards per page of a list. */
export const LIST_PAGE = 30;

type ListQuery = Omit<ArticleListQuery, 'before' | 'limit'>;

let early: { key: string; page: Promise<ArticlePage> } | null = null;

const keyOf = (query: ListQuery, limit: number) => JSON.stringify({ ...query, limit });

export function prefetchFirstPage(query: ListQuery, limit: number): void {
  performance.mark('first-page-asked');
  const page = listArticles({ ...query, limit });
  page.then(() => performance.mark('first-page-answered')).catch(() => {}); // a failure is met again by the list's own request
  early = { key: keyOf(query, limit), page };
}

/** The page asked for early, once, if it is for this query; else null. */
export function takeFirstPage(query: ListQuery, limit: number): Promise<ArticlePage> | null {
  const taken = early && early.key === keyOf(query, limit) ? early.page : null;
  early = null;
  return taken;
}
