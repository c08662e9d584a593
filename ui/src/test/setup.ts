// Test environment: jsdom lacks a few browser APIs the app uses.
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, beforeEach } from 'vitest';
import { resetAppState } from './harness';

type MqlListener = (e: MediaQueryListEvent) => void;

/** Controllable prefers-color-scheme. */
export const media = {
  dark: false,
  listeners: new Set<MqlListener>(),
  setDark(dark: boolean) {
    media.dark = dark;
    for (const l of media.listeners) l({ matches: dark, media: '(prefers-color-scheme: dark)' } as MediaQueryListEvent);
  },
};

Object.defineProperty(window, 'matchMedia', {
  configurable: true,
  writable: true,
  value: (query: string) => ({
    get matches() {
      return query.includes('prefers-color-scheme: dark') ? media.dark : false;
    },
    media: query,
    onchange: null,
    addEventListener: (_: string, l: MqlListener) => media.listeners.add(l),
    removeEventListener: (_: string, l: MqlListener) => media.listeners.delete(l),
    addListener: (l: MqlListener) => media.listeners.add(l),
    removeListener: (l: MqlListener) => media.listeners.delete(l),
    dispatchEvent: () => false,
  }),
});

/** IntersectionObserver that tests trigger by hand. */
export class FakeIntersectionObserver {
  static instances: FakeIntersectionObserver[] = [];
  readonly targets = new Set<Element>();
  disconnected = false;
  constructor(private readonly callback: IntersectionObserverCallback) {
    FakeIntersectionObserver.instances.push(this);
  }
  observe(el: Element) {
    this.targets.add(el);
  }
  unobserve(el: Element) {
    this.targets.delete(el);
  }
  disconnect() {
    this.disconnected = true;
    this.targets.clear();
  }
  takeRecords(): IntersectionObserverEntry[] {
    return [];
  }
  /** Report every observed element as visible, on every live observer. */
  static intersectAll() {
    for (const io of FakeIntersectionObserver.instances) {
      if (io.disconnected || io.targets.size === 0) continue;
      const entries = [...io.targets].map((target) => ({ target, isIntersecting: true }) as IntersectionObserverEntry);
      io.callback(entries, io as unknown as IntersectionObserver);
    }
  }
}
Object.defineProperty(window, 'IntersectionObserver', { configurable: true, writable: true, value: FakeIntersectionObserver });

Element.prototype.scrollIntoView = function scrollIntoView() {};
Element.prototype.scrollTo = function scrollTo() {} as typeof Element.prototype.scrollTo;
window.print = () => {};

beforeEach(() => {
  window.localStorage.clear();
  window.location.hash = '';
  media.dark = false;
  media.listeners.clear();
  FakeIntersectionObserver.instances = [];
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => true });
  resetAppState();
});

afterEach(() => {
  clearMocks();
});
