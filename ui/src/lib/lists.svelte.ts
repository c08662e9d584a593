// The list currently beside the reader (home, search results or saved), so the
// reader can offer previous/next and the keyboard can move a selection through it.
import type { ArticleSummary } from '../ipc/types';

export interface ListSource {
  items: () => ArticleSummary[];
  hasMore: () => boolean;
  loadMore: () => Promise<void>;
  /** Set an article's marks where the list keeps it (a list may keep its articles raw). */
  patch: (id: number, marks: ArticleMarks) => void;
}

export type ArticleMarks = Partial<Pick<ArticleSummary, 'read' | 'saved'>>;

class Lists {
  /** Raw (not proxied): compared by identity when a list unregisters. */
  source = $state.raw<ListSource | null>(null);
  selectedId = $state<number | null>(null);
}

export const lists = new Lists();

export function registerList(source: ListSource): () => void {
  lists.source = source;
  return () => {
    if (lists.source === source) lists.source = null;
  };
}

export function currentItems(): ArticleSummary[] {
  return lists.source?.items() ?? [];
}

/** Update an article's marks wherever the current list shows it. */
export function patchArticle(id: number, marks: ArticleMarks): void {
  lists.source?.patch(id, marks);
}

export function neighbours(id: number): { prev: ArticleSummary | null; next: ArticleSummary | null } {
  const items = currentItems();
  const i = items.findIndex((a) => a.id === id);
  if (i < 0) return { prev: null, next: null };
  return { prev: items[i - 1] ?? null, next: items[i + 1] ?? null };
}

/**
 * Move the selection by `delta` from `fromId` (or the current selection); loads the
 * next page when stepping past the end. Returns the new selected id.
 */
export async function moveSelection(delta: 1 | -1, fromId: number | null = lists.selectedId): Promise<number | null> {
  let items = currentItems();
  if (items.length === 0) return null;
  let i = fromId === null ? -1 : items.findIndex((a) => a.id === fromId);
  if (i < 0) {
    lists.selectedId = items[delta > 0 ? 0 : items.length - 1].id;
    return lists.selectedId;
  }
  if (delta > 0 && i === items.length - 1 && lists.source?.hasMore()) {
    await lists.source.loadMore();
    items = currentItems();
    i = items.findIndex((a) => a.id === fromId);
  }
  const j = Math.min(items.length - 1, Math.max(0, i + delta));
  lists.selectedId = items[j].id;
  return lists.selectedId;
}
