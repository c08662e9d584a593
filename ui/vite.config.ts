import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Tauri expects a fixed port and fails if it is not available.
const host = process.env.TAURI_DEV_HOST;
const testing = !!process.env.VITEST;

export default defineConfig({
  plugins: [svelte(), ...(testing ? [svelteTesting()] : [])],
  // Keep Rust errors visible in the terminal.
  clearScreen: false,
  // Tests must load Svelte's browser (client) build, not the server one.
  resolve: testing ? { conditions: ['browser'] } : undefined,
  server: {
    port: 1420,
    strictPort: true,
    host: host || false,
    hmr: host ? { protocol: 'ws', host, port: 1421 } : undefined,
    watch: { ignored: ['**/src-tauri/**'] },
  },
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  build: {
    // WebKitGTK / WKWebView (Safari 15+) and WebView2 (Chromium) all handle ES2021.
    target: 'safari15',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
