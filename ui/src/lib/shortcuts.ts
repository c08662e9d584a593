// Desktop keyboard shortcuts: j/k next/previous, o open, s save, / search, r sync, ? help.
import { markArticle } from '../ipc';
import { errorMessage } from './errors';
import { currentItems, lists, moveSelection, patchArticle } from './lists.svelte';
import { navigate, openArticle, router } from './router.svelte';
import { runSync } from './sync.svelte';
import { showToast } from './toast.svelte';
import { ui } from './ui.svelte';

export const SHORTCUTS = [
  { key: 'j', label: 'keyNext' },
  { key: 'k', label: 'keyPrev' },
  { key: 'o', label: 'keyOpen' },
  { key: 's', label: 'keySave' },
  { key: '/', label: 'keySearch' },
  { key: 'r', label: 'keySync' },
  { key: '?', label: 'keyHelp' },
] as const;

/** The open article registers its save toggle here so `s` can reach it. */
export const readerHooks: { toggleSave: (() => Promise<void>) | null } = { toggleSave: null };

export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'file', 'color'].includes(type);
  }
  return false;
}

function focusCard(id: number): void {
  const el = document.querySelector<HTMLElement>(`[data-testid="article-card"][data-id="${id}"]`);
  el?.focus();
}

async function step(delta: 1 | -1): Promise<void> {
  const route = router.route;
  if (route.name === 'article') {
    const id = await moveSelection(delta, route.id);
    if (id !== null && id !== route.id) openArticle(id);
    return;
  }
  const id = await moveSelection(delta);
  if (id !== null) focusCard(id);
}

async function toggleSaveSelected(): Promise<void> {
  if (router.route.name === 'article' && readerHooks.toggleSave) {
    await readerHooks.toggleSave();
    return;
  }
  const a = currentItems().find((x) => x.id === lists.selectedId);
  if (!a) return;
  try {
    const updated = await markArticle(a.id, { saved: !a.saved });
    patchArticle(a.id, { saved: updated.saved });
  } catch (e) {
    showToast(errorMessage(e));
  }
}

/** Returns true when the key was handled. */
export function handleShortcut(e: KeyboardEvent): boolean {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return false;
  if (ui.helpOpen) return false; // the dialog handles its own keys
  if (isTypingTarget(e.target)) return false;
  switch (e.key) {
    case 'j':
    case 'J':
      void step(1);
      break;
    case 'k':
    case 'K':
      void step(-1);
      break;
    case 'o':
    case 'O':
      if (lists.selectedId !== null) openArticle(lists.selectedId);
      else return false;
      break;
    case 's':
    case 'S':
      void toggleSaveSelected();
      break;
    case '/':
      navigate({ name: 'search' });
      ui.searchFocus++;
      break;
    case 'r':
    case 'R':
      void runSync();
      break;
    case '?':
      ui.helpOpen = true;
      break;
    default:
      return false;
  }
  e.preventDefault();
  return true;
}
