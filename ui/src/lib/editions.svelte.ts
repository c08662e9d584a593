// Editions (RU/EN/AZ…) and the home screen's edition/section choice.
import { listEditions, setEditionFollowed, type EditionDto } from '../ipc';
import { errorMessage } from './errors';
import { readLocal, writeLocal } from './storage';

export const EDITION_KEY = 'caliber.edition';

export const editions = $state({
  list: [] as EditionDto[],
  loaded: false,
  error: null as string | null,
});

export const home = $state({
  /** null = all followed editions */
  edition: readLocal(EDITION_KEY) || (null as string | null),
  section: null as string | null,
});

export async function loadEditions(): Promise<void> {
  try {
    editions.list = await listEditions();
    editions.error = null;
  } catch (e) {
    editions.error = errorMessage(e);
  } finally {
    editions.loaded = true;
  }
}

export async function followEdition(code: string, followed: boolean): Promise<void> {
  editions.list = await setEditionFollowed(code, followed);
}

export function selectEdition(code: string | null): void {
  home.edition = code;
  home.section = null;
  writeLocal(EDITION_KEY, code ?? '');
}

export function resetEditions(): void {
  editions.list = [];
  editions.loaded = false;
  editions.error = null;
  home.edition = readLocal(EDITION_KEY) || null;
  home.section = null;
}
