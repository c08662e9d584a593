// Hash routes: #/, #/article/ID, #/search, #/saved, #/settings.
export type ListContext = 'home' | 'search' | 'saved';
export type Route =
  | { name: 'home' }
  | { name: 'search' }
  | { name: 'saved' }
  | { name: 'settings' }
  | { name: 'article'; id: number };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  const article = /^\/article\/(\d+)$/.exec(path);
  if (article) return { name: 'article', id: Number(article[1]) };
  switch (path) {
    case '/search':
      return { name: 'search' };
    case '/saved':
      return { name: 'saved' };
    case '/settings':
      return { name: 'settings' };
    default:
      return { name: 'home' };
  }
}

export function hrefFor(route: Route): string {
  switch (route.name) {
    case 'article':
      return `#/article/${route.id}`;
    case 'home':
      return '#/';
    default:
      return `#/${route.name}`;
  }
}

export const router = $state({
  route: { name: 'home' } as Route,
  /** Which list sits beside (desktop) or behind (phone) the reader. */
  listContext: 'home' as ListContext,
});

function syncFromLocation(): void {
  const route = parseHash(window.location.hash);
  router.route = route;
  if (route.name === 'home' || route.name === 'search' || route.name === 'saved') {
    router.listContext = route.name;
  }
}

export function startRouter(): () => void {
  router.listContext = 'home';
  syncFromLocation();
  window.addEventListener('hashchange', syncFromLocation);
  return () => window.removeEventListener('hashchange', syncFromLocation);
}

export function navigate(route: Route): void {
  const hash = hrefFor(route);
  if (window.location.hash !== hash) window.location.hash = hash;
  // Update at once (hashchange is async); the listener re-applies the same state.
  syncFromLocation();
}

export function openArticle(id: number): void {
  navigate({ name: 'article', id });
}

export function backToList(): void {
  navigate({ name: router.listContext });
}
