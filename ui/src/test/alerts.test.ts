import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { DEFAULT_SETTINGS, type NotifyPrefsPatch } from '../ipc/types';
import { parseKeywords, toNaiveTime } from '../lib/alerts.svelte';
import type { FakeBackend } from '../ipc/mock/backend';
import { startAt, useBackend } from './harness';

/** The alert changes sent with update_notify_prefs, oldest first. */
function sentNotifications(backend: FakeBackend): NotifyPrefsPatch[] {
  return backend.callsOf('update_notify_prefs').map((c) => c.args.patch as NotifyPrefsPatch);
}

async function openSettings(backend: FakeBackend): Promise<HTMLInputElement> {
  startAt('#/settings');
  render(App);
  const toggle = (await screen.findByTestId('alerts-enabled')) as HTMLInputElement;
  await waitFor(() => expect(backend.callsOf('get_settings').length).toBeGreaterThan(0));
  return toggle;
}

describe('alerts settings', () => {
  it('turning alerts off sends only that change, and keeps what was set elsewhere meanwhile', async () => {
    const backend = useBackend();
    const toggle = await openSettings(backend);
    expect(toggle.checked).toBe(true);
    expect(screen.getByText('Breaking news only, never the same story twice, no floods after a long time offline.')).toBeTruthy();

    // The tray pauses alerts and the CLI adds a keyword while Settings is open.
    backend.settings.notifications.pausedUntil = '2099-01-01T00:00:00Z';
    backend.settings.notifications.keywords = ['Baku'];
    const readsBefore = backend.callsOf('get_settings').length;

    await fireEvent.click(toggle);
    await waitFor(() => expect(backend.settings.notifications.enabled).toBe(false));
    expect(sentNotifications(backend)).toEqual([{ enabled: false }]);
    expect(backend.settings.notifications).toEqual({
      enabled: false,
      sections: [],
      keywords: ['Baku'],
      languages: [],
      maxAgeMinutes: 180,
      quietHours: null,
      maxPerHour: 4,
      pausedUntil: '2099-01-01T00:00:00Z',
    });
    // No read-all-then-write-all: nothing was read to make the change.
    expect(backend.callsOf('get_settings').length).toBe(readsBefore);
    expect(backend.callsOf('update_settings')).toHaveLength(0);
    // Other settings are kept.
    expect(backend.settings.syncIntervalMinutes).toBe(DEFAULT_SETTINGS.syncIntervalMinutes);
  });

  it('keywords input produces a trimmed array without empties', async () => {
    const backend = useBackend();
    await openSettings(backend);
    const input = screen.getByLabelText('Keywords in titles') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '  Karabakh , ,COP29,  oil price  ,' } });
    await fireEvent.change(input);
    await waitFor(() => expect(sentNotifications(backend).at(-1)?.keywords).toEqual(['Karabakh', 'COP29', 'oil price']));
    expect(backend.settings.notifications.keywords).toEqual(['Karabakh', 'COP29', 'oil price']);
    expect(input.value).toBe('Karabakh, COP29, oil price');

    expect(parseKeywords(' a ,, b,')).toEqual(['a', 'b']);
    expect(parseKeywords('   ')).toEqual([]);
  });

  it('quiet hours send "HH:MM:00" times', async () => {
    const backend = useBackend();
    await openSettings(backend);
    const from = screen.getByLabelText('From') as HTMLInputElement;
    const to = screen.getByLabelText('To') as HTMLInputElement;
    expect(from.disabled).toBe(true);

    await fireEvent.click(screen.getByRole('checkbox', { name: 'Hold alerts during quiet hours' }));
    await waitFor(() => expect(backend.settings.notifications.quietHours).not.toBeNull());
    expect(from.disabled).toBe(false);

    await fireEvent.input(from, { target: { value: '23:30' } });
    await fireEvent.change(from);
    await waitFor(() => expect(backend.settings.notifications.quietHours?.start).toBe('23:30:00'));

    await fireEvent.input(from, { target: { value: '22:00' } });
    await fireEvent.change(from);
    await fireEvent.input(to, { target: { value: '07:00' } });
    await fireEvent.change(to);
    await waitFor(() => expect(sentNotifications(backend).at(-1)?.quietHours).toEqual({ start: '22:00:00', end: '07:00:00' }));
    expect(backend.settings.notifications.quietHours).toEqual({ start: '22:00:00', end: '07:00:00' });

    await fireEvent.click(screen.getByRole('checkbox', { name: 'Hold alerts during quiet hours' }));
    await waitFor(() => expect(backend.settings.notifications.quietHours).toBeNull());

    expect(toNaiveTime('07:05:30')).toBe('07:05:00');
    expect(toNaiveTime('')).toBeNull();
  });

  it('sections, editions, per-hour limit and pause are stored', async () => {
    const backend = useBackend();
    await openSettings(backend);

    const chips = screen.getByRole('group', { name: 'Also alert for these sections' });
    await fireEvent.click(await within(chips).findByRole('button', { name: 'WORLD' }));
    await waitFor(() => expect(backend.settings.notifications.sections).toEqual(['WORLD']));
    expect(within(chips).getByRole('button', { name: 'WORLD' }).getAttribute('aria-pressed')).toBe('true');

    await fireEvent.click(await screen.findByRole('checkbox', { name: /Azerbaijani/ }));
    await waitFor(() => expect(backend.settings.notifications.languages).toEqual(['az']));

    const perHour = screen.getByLabelText('Max alerts per hour') as HTMLInputElement;
    await fireEvent.input(perHour, { target: { value: '50' } });
    await fireEvent.change(perHour);
    await waitFor(() => expect(backend.settings.notifications.maxPerHour).toBe(20));
    expect(perHour.value).toBe('20');

    await fireEvent.click(screen.getByRole('button', { name: 'Pause alerts for 1 hour' }));
    await waitFor(() => expect(backend.callsOf('pause_alerts')[0]?.args).toEqual({ minutes: 60 }));
    expect(await screen.findByText(/^Alerts paused until /)).toBeTruthy();
    const until = Date.parse(backend.settings.notifications.pausedUntil ?? '');
    expect(until - Date.now()).toBeGreaterThan(59 * 60_000);

    // A later change keeps the pause and the earlier choices.
    await fireEvent.click(screen.getByTestId('alerts-enabled'));
    await waitFor(() => expect(backend.settings.notifications.enabled).toBe(false));
    expect(backend.settings.notifications.pausedUntil).not.toBeNull();
    expect(backend.settings.notifications.sections).toEqual(['WORLD']);
    expect(backend.settings.notifications.languages).toEqual(['az']);
  });

  it('the test button calls send_test_notification and shows a toast; errors are shown', async () => {
    const backend = useBackend();
    await openSettings(backend);
    await fireEvent.click(screen.getByTestId('send-test-notification'));
    await waitFor(() => expect(backend.callsOf('send_test_notification')).toHaveLength(1));
    expect((await screen.findByTestId('toast')).textContent).toBe('Test notification sent');

    backend.failures.send_test_notification = { kind: 'internal', message: 'notifications are not permitted' };
    await fireEvent.click(screen.getByTestId('send-test-notification'));
    expect((await screen.findByRole('alert')).textContent).toBe('notifications are not permitted');
  });
});
