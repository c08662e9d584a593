// Runs synchronously in <head>, before the app bundle and before first paint.
// Applies the remembered theme and text size so the first frame is already right.
// Kept as a separate file because the CSP forbids inline scripts.
(function () {
  var root = document.documentElement;
  var theme = null;
  var scale = null;
  try {
    theme = window.localStorage.getItem('caliber.theme');
    scale = window.localStorage.getItem('caliber.textScale');
  } catch (e) {
    /* storage unavailable: fall back to defaults */
  }
  if (theme !== 'light' && theme !== 'dark' && theme !== 'system') theme = 'system';
  var dark = false;
  if (theme === 'dark') {
    dark = true;
  } else if (theme === 'system') {
    try {
      dark = !!(window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
    } catch (e) {
      dark = false;
    }
  }
  var effective = dark ? 'dark' : 'light';
  root.dataset.theme = effective;
  root.style.colorScheme = effective;

  var pct = parseInt(scale || '', 10);
  if (!(pct >= 80 && pct <= 200)) pct = 100;
  pct = Math.round(pct / 10) * 10;
  root.style.setProperty('--text-scale', String(pct / 100));

  // WebKitGTK (the app on Linux) treats `system-ui` as a family it does not know: for each
  // font of the page (a size and weight) it asks fontconfig for it, finds none, then asks
  // again for the next family. app.css leaves it out there (BENCHMARKS.md, 2026-12-04).
  var ua = navigator.userAgent || '';
  if (/Linux/.test(ua) && !/Android/.test(ua)) root.dataset.fontStack = 'webkitgtk';
})();
