// The page loads in Chromium and reports the WebGPU adapter that the browser offers (SwiftShader here).
import { expect, test } from '@playwright/test';

test('the page loads and shows the WebGPU adapter with its features', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Hybrid Playground' })).toBeVisible();
  const panel = page.getByTestId('adapter-panel');
  await expect(panel).toHaveAttribute('data-gpu', 'ready');
  await expect(page.getByTestId('adapter-features')).toContainText('timestamp-query');
  expect(errors).toEqual([]);
});
