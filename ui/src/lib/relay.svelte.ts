// Settings → Push relay: the relay address (stored in Rust's settings, checked there too)
// and the live status of the relay client (relay_client.rs), kept current by `relay:status`.
import { getSettings, onRelayStatus, relayStatus, updateSettings, type RelayStatus } from '../ipc';
import { errorMessage } from './errors';
import { subscribe } from './events';

export const relay = $state<{ url: string; status: RelayStatus }>({ url: '', status: { state: 'off', error: null, revision: 0 } });

/** Tests start each case from a freshly launched app. */
export function resetRelay(): void {
  relay.url = '';
  relay.status = { state: 'off', error: null, revision: 0 };
}

/** Events and command replies can arrive out of order: an older status never replaces a newer one. */
function showStatus(status: RelayStatus): void {
  if (status.revision >= relay.status.revision) relay.status = status;
}

async function loadRelay(): Promise<void> {
  try {
    const [settings, status] = await Promise.all([getSettings(), relayStatus()]);
    relay.url = settings.relayUrl;
    showStatus(status);
  } catch {
    /* keep what is shown; the next command surfaces the error */
  }
}

/** Follow status changes while Settings is open, then load what is stored (after the
 *  listener is in place, so no change falls between the two); returns the stop function. */
export function watchRelay(): () => void {
  return subscribe(async () => {
    try {
      return await onRelayStatus(showStatus);
    } finally {
      void loadRelay();
    }
  });
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
    showStatus(await relayStatus());
    return null;
  } catch (e) {
    return errorMessage(e);
  }
}
