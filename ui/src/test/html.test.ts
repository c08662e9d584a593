import { mockConvertFileSrc } from '@tauri-apps/api/mocks';
import { describe, expect, it } from 'vitest';
import { prepareBody } from '../lib/html';
import { canonicalUrl } from '../lib/share';

describe('article body preparation', () => {
  it('rewrites every picture through imageSrc and drops srcset', () => {
    mockConvertFileSrc('linux');
    const out = prepareBody(
      '<p>a<img src="https://x.az/1.jpg" srcset="https://x.az/1@2x.jpg 2x"></p><picture><source srcset="https://x.az/2.webp"><img src="https://x.az/2.jpg"></picture>',
    );
    const div = document.createElement('div');
    div.innerHTML = out;
    const imgs = [...div.querySelectorAll('img')];
    expect(imgs.map((i) => i.getAttribute('src'))).toEqual([
      `caliber-img://localhost/${encodeURIComponent('https://x.az/1.jpg')}`,
      `caliber-img://localhost/${encodeURIComponent('https://x.az/2.jpg')}`,
    ]);
    expect(div.querySelector('[srcset]')).toBeNull();
    expect(div.querySelector('source')).toBeNull();
    expect(imgs[0].getAttribute('loading')).toBe('lazy');
  });

  it('uses the Windows form of the scheme too', () => {
    mockConvertFileSrc('windows');
    const out = prepareBody('<img src="https://x.az/1.jpg">');
    expect(out).toContain(`src="http://caliber-img.localhost/${encodeURIComponent('https://x.az/1.jpg')}"`);
  });

  it('marks links external', () => {
    const out = prepareBody('<a href="https://caliber.az/post/x">x</a>', () => null);
    expect(out).toContain('target="_blank"');
    expect(out).toContain('rel="noopener noreferrer"');
  });

  it('canonical URL falls back to the site', () => {
    expect(canonicalUrl({ url: 'https://caliber.az/post/a' })).toBe('https://caliber.az/post/a');
    expect(canonicalUrl({ url: null })).toBe('https://caliber.az/');
    expect(canonicalUrl({ url: 'javascript:alert(1)' })).toBe('https://caliber.az/');
  });
});
