// The current UI dictionary. Reading it inside a component template or $derived is
// reactive: it follows prefs.uiLanguage.
import { dictionaries, type Messages } from './messages';
import { prefs } from './prefs.svelte';

export function msgs(): Messages {
  return dictionaries[prefs.uiLanguage] ?? dictionaries.en;
}

export function lang(): string {
  return prefs.uiLanguage;
}
