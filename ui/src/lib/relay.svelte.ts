// Settings → Push relay: the relay address (stored in Rust's settings, checked there too)
// and the live status of the relay client (relay_client.rs), kept current by `relay:status`.
import { getSettings, onRelayStatus, relayStatus, updateSettings, type RelayStatus } from '../ipc';
import { errorMessage } from './errors';
import { subscribe } from './events';

export const relay = $state<{ url: string; status: RelayStatus }>({ url: '', status: { state: 'off', error: null } });

export async function loadRelay(): Promise<void> {
  try {
    const [settings, status] = await Promise.all([getSettings(), relayStatus()]);
    relay.url = settings.relayUrl;
    relay.status = status;
  } catch {
    /* keep what is shown; the next command surfaces the error */
  }
}

/** Follow status changes while Settings is open; returns the stop function. */
export function watchRelay(): () => void {
  return subscribe(() =>
    onRelayStatus((status) => {
      relay.status = status;
    }),
  );
}

/** What Rust accepts (caliber_core::relay::check_relay_url): empty, or http(s) with a host and no credentials. */
export function relayUrlOk(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === '') return true;
  try {
    const url = new URL(trimmed);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.username && !url.password && !url.hash;
  } catch {
    return false;
  }
}

/** Store the address; `null` when stored, else the error to show. */
export async function saveRelayUrl(text: string): Promise<string | null> {
  try {
    const settings = await updateSettings({ relayUrl: text.trim() });
    relay.url = settings.relayUrl;
    relay.status = await relayStatus();
    return null;
  } catch (e) {
    return errorMessage(e);
  }
}
