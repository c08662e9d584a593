// Share targets. Every one carries the canonical link to the article on Caliber.az
// (the site's terms: any use requires a hyperlink).
import type { ArticleSummary } from '../ipc/types';

export type ShareTargetId = 'x' | 'facebook' | 'telegram' | 'whatsapp' | 'email';

export interface ShareTarget {
  id: ShareTargetId;
  label: string;
  href: string;
}

export const CALIBER_HOME = 'https://caliber.az/';

/** The article's own URL on the site; the site's home page if the source gave none. */
export function canonicalUrl(article: Pick<ArticleSummary, 'url'>): string {
  return article.url && /^https?:\/\//i.test(article.url) ? article.url : CALIBER_HOME;
}

export function shareTargets(url: string, title: string, emailLabel = 'E-mail'): ShareTarget[] {
  const u = encodeURIComponent(url);
  const t = encodeURIComponent(title);
  const both = encodeURIComponent(`${title} ${url}`);
  return [
    { id: 'x', label: 'X', href: `https://x.com/intent/post?url=${u}&text=${t}` },
    { id: 'facebook', label: 'Facebook', href: `https://www.facebook.com/sharer/sharer.php?u=${u}` },
    { id: 'telegram', label: 'Telegram', href: `https://t.me/share/url?url=${u}&text=${t}` },
    { id: 'whatsapp', label: 'WhatsApp', href: `https://wa.me/?text=${both}` },
    {
      id: 'email',
      label: emailLabel,
      href: `mailto:?subject=${t}&body=${encodeURIComponent(`${title}\n\n${url}`)}`,
    },
  ];
}
