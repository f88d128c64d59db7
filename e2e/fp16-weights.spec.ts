// A model with fp16 matrices beside the same model in fp32, from a link: the builder shows the setting, the
// side-by-side table halves the weights, the legend marks the fp16 series, and a sweep on the page's GPU
// measures both.
import { expect, test } from '@playwright/test';

test('fp16 matrices from a link: weights about halved, both models measured on the GPU', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#v=1&m=tiny-mamba&m=tiny-mamba;w:f16&seq=16-32&mode=prefill&repeats=1&warmup=0');
  await expect(page.getByTestId('adapter-panel')).toHaveAttribute('data-gpu', 'ready');
  const weightsRow = page.getByTestId('compare-table').getByRole('row', { name: /^Weights/ });
  // Tiny Mamba: 96·32 embedding + 2 layers of in_proj, x_proj, out_proj as halves; norms, conv, dt_proj,
  // A_log, D and biases in float32.
  await expect(weightsRow.getByRole('cell').last()).toHaveText(/^1\.[6-9]\d×$/);
  await expect(page.getByRole('group', { name: 'Models shown in the charts' })).toContainText('Tiny Mamba (fp16)');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const throughput = page.getByTestId('chart-throughput');
  await expect(throughput.locator('.recharts-line')).toHaveCount(2, { timeout: 90_000 });
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled({ timeout: 90_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(errors).toEqual([]);
});
