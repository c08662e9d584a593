// The theme tokens of app.css, light and night, against WCAG 2.1 AA contrast: 4.5:1 for
// text (1.4.3), 3:1 for what identifies a control or its state (1.4.11). axe marks colours
// it cannot compute (over pictures, translucent layers) "needs review"; these are the
// colours every view is painted with, so they are checked here, by the WCAG formula.
import { describe, expect, it } from 'vitest';
import { cssRule } from './appCss';

type Tokens = Record<string, string>;

function tokens(selector: string): Tokens {
  return Object.fromEntries([...cssRule(selector).matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\b/g)].map((m) => [m[1], m[2]]));
}

const light = tokens(':root');
const night = { ...light, ...tokens("html[data-theme='dark']") };

/** WCAG 2.1 relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const SURFACES = ['bg', 'surface', 'surface-2'];
/** [foreground, background, minimum ratio, what it is] */
const PAIRS: [string, string, number, string][] = [
  ...SURFACES.flatMap((bg): [string, string, number, string][] => [
    ['text', bg, 4.5, 'body text'],
    ['muted', bg, 4.5, 'secondary text (dates, hints)'],
    ['accent', bg, 4.5, 'section names, errors, the brand'],
    ['link', bg, 4.5, 'links'],
    ['control-border', bg, 3, 'the edge of buttons, fields and chips'],
    ['focus', bg, 3, 'the focus ring'],
    ['muted', bg, 3, 'the alert switch track (off)'],
  ]),
  ['text', 'surface-3', 4.5, 'text on pressed surfaces'],
  ['text', 'accent-soft', 4.5, 'a pressed button (Saved)'],
  ['accent-text', 'accent', 4.5, 'text on accent'],
  ['badge-text', 'badge-bg', 4.5, 'the BREAKING badge and the logo'],
  ['mark-text', 'mark-bg', 4.5, 'search matches'],
  ['banner-text', 'banner-bg', 4.5, 'the offline banner'],
  ['bg', 'text', 4.5, 'toast and sync status (inverted)'],
  ['accent', 'surface', 3, 'the alert switch track (on)'],
];

describe('theme tokens meet WCAG AA contrast', () => {
  for (const [name, theme] of [['light', light], ['night', night]] as const) {
    it(`${name}: text 4.5:1, controls 3:1`, () => {
      const failures: string[] = [];
      for (const [fg, bg, min, what] of PAIRS) {
        expect(theme[fg], `--${fg}`).toMatch(/^#/);
        expect(theme[bg], `--${bg}`).toMatch(/^#/);
        const ratio = contrast(theme[fg], theme[bg]);
        if (ratio < min) failures.push(`--${fg} on --${bg} (${what}): ${ratio.toFixed(2)}:1 < ${min}:1`);
      }
      expect(failures).toEqual([]);
    });
  }

  it('computes the WCAG ratio (black on white is 21:1, a colour on itself 1:1)', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#777777')).toBe(1);
    // The classic AA threshold grey on white.
    expect(contrast('#767676', '#ffffff')).toBeGreaterThan(4.5);
    expect(contrast('#777777', '#ffffff')).toBeLessThan(4.5);
  });
});
