// A Transformer with an fp16 KV cache beside the same model with a float32 one, from a link: the side-by-side
// table halves the decode state, the legend marks the fp16-cache series, and a decode sweep on the page's
// GPU measures both (the fp16 cache written and read by the page's own kernels).
import { expect, test } from '@playwright/test';

test('fp16 KV cache from a link: decode state halved, both models decoded on the GPU', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#v=1&m=tiny-transformer&m=tiny-transformer;kv:f16&seq=16-32&mode=decode&steps=4&repeats=1&warmup=0');
  await expect(page.getByTestId('adapter-panel')).toHaveAttribute('data-gpu', 'ready');
  // The Transformer's decode state is its KV cache alone: exactly twice the bytes in float32.
  const stateRow = page.getByTestId('compare-table').getByRole('row', { name: /^Decode state at context/ });
  await expect(stateRow.getByRole('cell').last()).toHaveText('2.00×');
  await expect(page.getByRole('group', { name: 'Models shown in the charts' })).toContainText('Tiny Transformer (fp16 KV)');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.getByTestId('chart-latency').locator('.recharts-line')).toHaveCount(2, { timeout: 90_000 });
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled({ timeout: 90_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  // The measured decode throughput of both models is filled in.
  const decodeRow = page.getByTestId('compare-table').getByRole('row', { name: /^Decode throughput \(measured\)/ });
  await expect(decodeRow.getByRole('cell').nth(0)).not.toHaveText('—');
  await expect(decodeRow.getByRole('cell').nth(1)).not.toHaveText('—');
  expect(errors).toEqual([]);
});
