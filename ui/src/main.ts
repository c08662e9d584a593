import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { hasBackend } from './ipc';

async function start() {
  performance.mark('script-start');
  // `npm run dev` in a plain browser: use the in-memory backend. Not part of a
  // release build (only with VITE_MOCK_BACKEND=1, for UI previews).
  if ((import.meta.env.DEV || import.meta.env.VITE_MOCK_BACKEND === '1') && !hasBackend()) {
    const { installDevBackend } = await import('./ipc/mock/install');
    installDevBackend();
  }
  mount(App, { target: document.getElementById('app')! });
  performance.mark('mounted');
  // The app shell's first frame (style, layout, fonts, paint), whatever the list does.
  requestAnimationFrame(() => performance.mark('first-frame'));
}

void start();
