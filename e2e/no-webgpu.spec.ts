// Without WebGPU the page says so, still draws the analytic charts, and runs small models on the CPU
// path, labelled as such. Chromium here is launched without --enable-unsafe-webgpu.
import { expect, test } from '@playwright/test';

test('without WebGPU: a clear notice, analytic charts, and a labelled CPU run', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#v=1&m=tiny-mamba&m=tiny-transformer&seq=16-32&mode=prefill&repeats=1&warmup=0');
  await expect(page.getByTestId('adapter-panel')).toHaveAttribute('data-gpu', 'unavailable');
  await expect(page.getByTestId('adapter-panel')).toContainText('No WebGPU');
  // The analytic FLOPs chart needs no GPU: one dashed line per model.
  const flops = page.getByTestId('chart-flops');
  await expect(flops.locator('.recharts-line')).toHaveCount(2);
  // Series can be hidden from the keyboard too, not only by clicking the legend.
  const shown = page.getByRole('group', { name: 'Models shown in the charts' });
  await shown.getByRole('checkbox', { name: /Tiny Mamba/ }).press('Space');
  await expect(flops.locator('.recharts-line')).toHaveCount(1);
  await shown.getByRole('checkbox', { name: /Tiny Mamba/ }).press('Space');
  await expect(flops.locator('.recharts-line')).toHaveCount(2);
  await page.getByRole('button', { name: 'Run on CPU (slow)' }).click();
  const throughput = page.getByTestId('chart-throughput');
  await expect(throughput.locator('.recharts-line')).toHaveCount(2, { timeout: 60_000 });
  await expect(page.getByText('CPU path (float64): not GPU figures')).toBeVisible();
  await expect(throughput).toContainText('[CPU]');
  expect(errors).toEqual([]);
});
