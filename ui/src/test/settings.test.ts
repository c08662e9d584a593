import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { emit } from '@tauri-apps/api/event';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { EVENTS } from '../ipc/types';
import { startAt, useBackend } from './harness';

describe('settings', () => {
  it('lists, adds and removes sources, with the IpcError message on failure', async () => {
    const backend = useBackend();
    startAt('#/settings');
    render(App);
    expect(await screen.findByText('https://caliber.az/rss.xml')).toBeTruthy();

    const input = screen.getByLabelText('Feed or page URL');
    await fireEvent.input(input, { target: { value: 'not a url' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    expect(await screen.findByText('Enter an http(s) address')).toBeTruthy();

    await fireEvent.input(input, { target: { value: 'https://example.org/feed.xml' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    expect(await screen.findByText('https://example.org/feed.xml')).toBeTruthy();
    expect(backend.sources.map((s) => s.url)).toContain('https://example.org/feed.xml');

    // Adding it again: Rust (and the mock, which must agree: tests/contract/scenarios.json)
    // returns the source already followed; it is listed once, and the reader is told.
    await fireEvent.input(input, { target: { value: ' https://example.org/feed.xml#latest' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() => expect(screen.getByTestId('toast').textContent).toBe('Already following https://example.org/feed.xml'));
    expect(screen.getAllByText('https://example.org/feed.xml')).toHaveLength(1);
    expect(document.getElementById('add-error')).toBeNull();
    expect(backend.sources.filter((s) => s.url === 'https://example.org/feed.xml')).toHaveLength(1);

    // Removal says what it does and waits for a second press; Cancel leaves the source alone.
    await fireEvent.click(screen.getByRole('button', { name: 'Remove https://example.org/feed.xml' }));
    const ask = await screen.findByTestId('confirm-remove');
    expect(ask.textContent).toContain('articles you saved stay in Saved');
    await fireEvent.click(within(ask).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('confirm-remove')).toBeNull();
    expect(backend.callsOf('remove_source')).toHaveLength(0);
    await fireEvent.click(screen.getByRole('button', { name: 'Remove https://example.org/feed.xml' }));
    await fireEvent.click(within(await screen.findByTestId('confirm-remove')).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByText('https://example.org/feed.xml')).toBeNull());
    expect(backend.callsOf('remove_source')[0].args).toEqual({ url: 'https://example.org/feed.xml' });
  }, 20_000);

  it('imports OPML from a file', async () => {
    const backend = useBackend();
    startAt('#/settings');
    render(App);
    const opml = '<opml version="2.0"><body><outline xmlUrl="https://a.example/rss"/><outline xmlUrl="https://b.example/atom"/></body></opml>';
    const file = new File([opml], 'subs.opml', { type: 'text/xml' });
    const input = document.querySelector('input[type="file"]') as HTMLInputElement;
    Object.defineProperty(input, 'files', { configurable: true, value: [file] });
    await fireEvent.change(input);
    await waitFor(() => expect(backend.callsOf('import_opml')[0]?.args).toEqual({ text: opml }));
    expect((await screen.findByTestId('toast')).textContent).toBe('2 sources imported');
    expect(await screen.findByText('https://b.example/atom')).toBeTruthy();
  });

  it('follows and unfollows editions; home tabs follow', async () => {
    const backend = useBackend();
    startAt('#/settings');
    render(App);
    const az = await screen.findByRole('checkbox', { name: /Azərbaycanca/ });
    await fireEvent.click(az);
    // Unfollowing deletes articles: said first, done on the second press.
    const ask = await screen.findByTestId('confirm-unfollow');
    expect(ask.textContent).toContain('articles you saved stay in Saved');
    expect(backend.callsOf('set_edition_followed')).toHaveLength(0);
    await fireEvent.click(within(ask).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(backend.callsOf('set_edition_followed')[0]?.args).toEqual({ code: 'az', followed: false }));
    window.location.hash = '#/';
    const group = await screen.findByRole('group', { name: 'Edition' });
    expect(within(group).queryByRole('button', { name: 'AZ' })).toBeNull();
    expect(within(group).getByRole('button', { name: 'RU' })).toBeTruthy();
  });

  it('sync interval has a minimum of 5 minutes; storage stats are shown', async () => {
    const backend = useBackend({ settings: { syncIntervalMinutes: 30 } });
    startAt('#/settings');
    render(App);
    const interval = (await screen.findByLabelText('Sync every (minutes)')) as HTMLInputElement;
    await waitFor(() => expect(interval.value).toBe('30'));
    await fireEvent.input(interval, { target: { value: '2' } });
    await fireEvent.change(interval);
    expect(backend.callsOf('update_settings').filter((c) => 'syncIntervalMinutes' in (c.args.settings as object))).toHaveLength(0);
    expect(interval.value).toBe('5');
    await fireEvent.input(interval, { target: { value: '15' } });
    await fireEvent.change(interval);
    await waitFor(() => expect(backend.settings.syncIntervalMinutes).toBe(15));

    expect(await screen.findByText('Articles')).toBeTruthy();
    expect(screen.getByText('45')).toBeTruthy();
  });

  it('the relay address: refused unless http(s), stored when it is, and the status in plain words', async () => {
    const backend = useBackend({ relayStatus: { state: 'unreachable', error: 'could not connect', revision: 1 } });
    startAt('#/settings');
    render(App);
    const field = (await screen.findByLabelText('Relay URL')) as HTMLInputElement;
    await waitFor(() => expect(screen.getByTestId('relay-status').textContent).toContain('Unreachable: alerts come from the app’s own sync'));

    await fireEvent.input(field, { target: { value: 'relay.example' } });
    await fireEvent.click(screen.getByTestId('relay-save'));
    expect(await screen.findByText('Enter an address that starts with http:// or https://, or leave the field empty.')).toBeTruthy();
    expect(backend.callsOf('update_settings').filter((c) => 'relayUrl' in (c.args.settings as object))).toHaveLength(0);

    backend.relayStatus = { state: 'connecting', error: null, revision: 2 };
    await fireEvent.input(field, { target: { value: ' http://127.0.0.1:8780 ' } });
    await fireEvent.click(screen.getByTestId('relay-save'));
    await waitFor(() => expect(backend.settings.relayUrl).toBe('http://127.0.0.1:8780'));
    await waitFor(() => expect(screen.getByTestId('relay-status').textContent).toContain('Connecting to the relay'));

    backend.relayStatus = { state: 'off', error: null, revision: 3 };
    await fireEvent.input(field, { target: { value: '' } });
    await fireEvent.click(screen.getByTestId('relay-save'));
    await waitFor(() => expect(backend.settings.relayUrl).toBe(''));
    await waitFor(() => expect(screen.getByTestId('relay-status').textContent).toContain('Not used'));
  });

  // Regression (CI, stop 26): the relay connected while the reply to relay_status was on its
  // way; the reply, older, arrived after the "connected" event and Settings said "Not used"
  // for good though the stream was open.
  it('a relay status event newer than the relay_status reply that arrives after it stays shown', async () => {
    const backend = useBackend();
    startAt('#/settings');
    render(App);
    const field = (await screen.findByLabelText('Relay URL')) as HTMLInputElement;
    await waitFor(() => expect(screen.getByTestId('relay-status').textContent).toContain('Not used'));
    const handle = backend.handle;
    backend.handle = async (cmd, args) => {
      const reply = handle(cmd, args);
      if (cmd === 'relay_status' && backend.settings.relayUrl) {
        // The client moves on while the reply (status "off", revision 0) is in flight.
        await emit(EVENTS.relayStatus, { state: 'connecting', error: null, revision: 1 });
        await emit(EVENTS.relayStatus, { state: 'connected', error: null, revision: 2 });
      }
      return reply;
    };
    await fireEvent.input(field, { target: { value: 'http://127.0.0.1:8780' } });
    await fireEvent.click(screen.getByTestId('relay-save'));
    await waitFor(() => expect(backend.callsOf('relay_status').length).toBeGreaterThan(1));
    await screen.findByText('Settings saved');
    expect(screen.getByTestId('relay-status').textContent).toContain('Connected: breaking news arrives');
  });
});
