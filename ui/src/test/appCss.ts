// app.css as written, for tests that check its tokens (vitest runs from ui/).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const appCss = readFileSync(resolve(process.cwd(), 'src/app.css'), 'utf8');

/** The declarations of the first rule in app.css whose selector is `selector`. */
export function cssRule(selector: string): string {
  const start = appCss.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no rule ${selector} in app.css`);
  return appCss.slice(start, appCss.indexOf('}', start));
}
