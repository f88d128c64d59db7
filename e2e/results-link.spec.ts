// Measured results travel with a link: run a small sweep, copy the link with results, open it in a fresh
// page, and the charts show the same points without running anything.
import { expect, test } from '@playwright/test';

test('a link with attached results shows the measured charts in a fresh page', async ({ browser }) => {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  await page.goto('/#v=1&m=tiny-mamba&m=tiny-transformer&seq=16-32&mode=prefill&repeats=1&warmup=0');
  await expect(page.getByTestId('adapter-panel')).toHaveAttribute('data-gpu', 'ready');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const throughput = page.getByTestId('chart-throughput');
  await expect(throughput.locator('.recharts-line')).toHaveCount(2, { timeout: 90_000 });
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled({ timeout: 90_000 });
  await page.getByRole('button', { name: 'Copy link with results' }).click();
  await expect(page.getByText(/Copied a link with 4 points/)).toBeVisible();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toContain('&r=');
  expect(link.length).toBeLessThan(8000);

  const fresh = await context.newPage();
  await fresh.goto(link);
  const chart = fresh.getByTestId('chart-throughput');
  await expect(chart.locator('.recharts-line')).toHaveCount(2);
  await expect(fresh.getByRole('button', { name: 'Run sweep' })).toBeVisible();
  // A damaged results field is reported and the page still works.
  const damaged = await context.newPage();
  await damaged.goto(link.replace(/&r=[^&]*/, '&r=AAAAbroken'));
  await expect(damaged.getByRole('alert').filter({ hasText: 'results attached to this link were ignored' })).toBeVisible();
  await expect(damaged.getByTestId('chart-flops').locator('.recharts-line')).toHaveCount(2);
  await context.close();
});
