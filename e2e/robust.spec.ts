// Bad links never break the page: thousands of mutated fragments are fed to the running page through
// hashchange; after each batch the page still shows the builder and the charts, and nothing was thrown.
// Markup in names stays text, and the page makes no request outside its own origin.
import { expect, test } from '@playwright/test';

const SEEDS = [
  'v=1&m=transformer&m=mamba&m=jamba&seq=256-16384',
  'v=1&m=name:Small_hybrid;d:512;p:(M+*3_G+)x4;A:8-2-a-10000&m=gla;F:1024&seq=64-4096&mode=prefill&log=x',
  'v=1&m=mamba-130m&m=tiny-hybrid;@1:A-4-2-16-10000,F-96&show=memory,flops&steps=8',
];
const JUNK = ['<script>alert(1)</script>', '%', '%%25', '&&&', '=', '(', ')x999999', '*-1', 'NaN', '1e999', '\u0000', '\u202e', '#', '?', 'v=2', 'v=0', 'm=', 'p:(((', ';;;', ':', '"', "'", '\\', '%3Cimg%20src=x%20onerror=alert(1)%3E'];

function mutate(seed: string, r: () => number): string {
  let s = seed;
  const steps = 1 + Math.floor(r() * 4);
  for (let i = 0; i < steps; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const k = r();
    if (k < 0.25) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 6));
    else if (k < 0.5) s = s.slice(0, at) + JUNK[Math.floor(r() * JUNK.length)] + s.slice(at);
    else if (k < 0.7) s = s.slice(0, at);
    else if (k < 0.85) s = s.slice(0, at) + String.fromCharCode(32 + Math.floor(r() * 95)) + s.slice(at + 1);
    else s = s.replace(/\d+/, String(Math.floor(r() * 1e9) - 5e8));
  }
  return s;
}

test('thousands of mutated links: the page keeps working and throws nothing', async ({ page }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto('/');
  await expect(page.getByRole('region', { name: 'Model builder' })).toBeVisible();
  let seed = 12345;
  const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const fragments = Array.from({ length: 2000 }, (_, i) => mutate(SEEDS[i % SEEDS.length], r));
  for (let batch = 0; batch < fragments.length; batch += 250) {
    // Every fragment goes through the page's own hashchange handler (decode -> store) synchronously;
    // every 10th is also left to render before the next.
    await page.evaluate(async (list) => {
      for (let i = 0; i < list.length; i++) {
        history.replaceState(null, '', `#${list[i]}`);
        window.dispatchEvent(new HashChangeEvent('hashchange'));
        if (i % 10 === 9) await new Promise((res) => setTimeout(res, 0));
      }
    }, fragments.slice(batch, batch + 250));
    await expect(page.getByRole('region', { name: 'Model builder' })).toBeVisible();
    await expect(page.getByText('log length axis')).toBeVisible();
  }
  expect(errors).toEqual([]);
  // The page is still usable: a valid link after all that loads exactly.
  await page.evaluate(() => {
    location.hash = 'v=1&m=tiny-mamba&m=tiny-transformer&seq=16-64';
  });
  await expect(page.getByRole('tab', { name: /Tiny Transformer/ })).toBeVisible();
});

test('markup in a link stays text, and the page requests nothing outside its origin', async ({ page, baseURL }) => {
  const foreign: string[] = [];
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(baseURL!) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
  });
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await page.goto('/#v=1&m=name:%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%3Cb%3Ebold%3C%2Fb%3E;d:256;p:M*2&seq=16-64');
  await expect(page.getByRole('region', { name: 'Model builder' })).toBeVisible();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator('b', { hasText: 'bold' })).toHaveCount(0);
  await page.waitForTimeout(500);
  expect(dialogs).toBe(0);
  expect(foreign).toEqual([]);
});
