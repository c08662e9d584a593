// The site's official accounts, as data (from PRODUCT.md; the seed page's header names the
// same services). Only addresses we know are listed: the site's YouTube channel and its
// App Store / Google Play apps are linked from caliber.az, but their addresses are not in
// anything we have, so the reader is sent to caliber.az for those instead of a guess.
export interface OfficialAccount {
  id: 'x' | 'facebook' | 'instagram' | 'telegram';
  label: string;
  url: string;
}

export const OFFICIAL_ACCOUNTS: readonly OfficialAccount[] = [
  { id: 'x', label: 'X', url: 'https://x.com/Caliberaz' },
  { id: 'facebook', label: 'Facebook', url: 'https://www.facebook.com/caliber.az' },
  { id: 'instagram', label: 'Instagram', url: 'https://www.instagram.com/caliberaz' },
  { id: 'telegram', label: 'Telegram', url: 'https://t.me/caliber_az_official' },
];

/** Where the YouTube channel and the store apps are linked from. */
export const ACCOUNTS_ELSEWHERE_URL = 'https://caliber.az/';
