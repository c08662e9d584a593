// Prepares the (already sanitised) article HTML for display:
// pictures go through the offline image store, links open in the system browser.
import { imageSrc, thumbnailSrc } from '../ipc';

/** imageSrc that never throws (e.g. outside Tauri). */
export function safeImageSrc(url: string | null | undefined): string | null {
  try {
    return imageSrc(url);
  } catch {
    return null;
  }
}

/** thumbnailSrc that never throws. */
export function safeThumbnailSrc(url: string | null | undefined, cssWidth: number): string | null {
  try {
    return thumbnailSrc(url, cssWidth);
  } catch {
    return null;
  }
}

/**
 * Rewrites every <img src> through imageSrc() and drops srcset/<source> so the
 * WebView never asks the network for a picture; marks links as external.
 * Parsing happens in an inert <template>, so nothing loads before the rewrite.
 */
export function prepareBody(html: string, toSrc: (url: string) => string | null = safeImageSrc): string {
  const tpl = document.createElement('template');
  tpl.innerHTML = html;
  const root = tpl.content;
  root.querySelectorAll('picture source, source[srcset]').forEach((s) => s.remove());
  root.querySelectorAll('img').forEach((img) => {
    const original = img.getAttribute('src') ?? img.getAttribute('data-src');
    img.removeAttribute('srcset');
    img.removeAttribute('sizes');
    img.removeAttribute('data-src');
    const local = original ? toSrc(original) : null;
    if (local) {
      img.setAttribute('src', local);
      img.setAttribute('data-original-src', original ?? '');
    } else {
      img.remove();
      return;
    }
    img.setAttribute('loading', 'lazy');
    img.setAttribute('decoding', 'async');
    if (!img.hasAttribute('alt')) img.setAttribute('alt', '');
  });
  root.querySelectorAll('a[href]').forEach((a) => {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer');
  });
  return tpl.innerHTML;
}

/** http(s) and mailto links leave the app through the opener plugin. */
export function isExternalHref(href: string): boolean {
  return /^(https?:|mailto:)/i.test(href);
}
