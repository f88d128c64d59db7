// Sharing: the address always holds the whole comparison. A custom hybrid opened from its link in a fresh
// page comes back the same; a malformed or truncated link says what was wrong in an alert and the page
// still works; Back undoes a discrete action.
import { expect, test, type Page } from '@playwright/test';

/** Everything below is looked up inside the builder (the measurements side has tables and fields too). */
const builder = (page: Page) => page.getByRole('region', { name: 'Model builder' });
const paramsRow = (page: Page) => builder(page).getByRole('row', { name: /^Parameters/ });
const layerRows = (page: Page) => builder(page).getByRole('list', { name: /^Layers/ }).getByRole('listitem');
const patternField = (page: Page) => builder(page).getByRole('textbox', { name: 'Stack pattern' });

test('a custom hybrid opened from its link comes back with the same pattern, name and parameters', async ({ page, context, browser }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await builder(page).getByRole('combobox', { name: 'Preset' }).selectOption({ label: 'Mamba' });
  await patternField(page).fill('(M M M Gh+)x3 L');
  await builder(page).getByRole('textbox', { name: 'Attention heads' }).fill('8');
  await builder(page).getByRole('textbox', { name: 'GLA heads' }).fill('6');
  await builder(page).getByRole('textbox', { name: 'Name' }).fill('My hybrid');
  await builder(page).getByRole('textbox', { name: 'Name' }).blur();
  await expect(builder(page).getByRole('tab', { name: 'My hybrid' })).toBeVisible();
  const pattern = await patternField(page).inputValue();
  expect(pattern).toBe('(M*3 Gh+)x3 L');
  const params = await paramsRow(page).textContent();

  await builder(page).getByRole('button', { name: 'Copy link' }).click();
  await expect(builder(page).getByRole('button', { name: 'Copied' })).toBeVisible();
  const link = page.url();
  expect(link).toContain('#v=1');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);

  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto(link);
  await expect(builder(fresh).getByRole('tab', { name: 'My hybrid' })).toHaveAttribute('aria-selected', 'true');
  await expect(patternField(fresh)).toHaveValue(pattern);
  await expect(paramsRow(fresh)).toHaveText(params!);
  await expect(builder(fresh).getByRole('textbox', { name: 'Attention heads' })).toHaveValue('8');
  await expect(builder(fresh).getByRole('textbox', { name: 'GLA heads' })).toHaveValue('6');
  await expect(builder(fresh).getByRole('tab')).toHaveCount(3);
  await expect(builder(fresh).getByRole('alert')).toHaveCount(0);
});

test('a truncated link shows what was wrong in an alert, and the page still works', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#v=1&m=mamba;name:Cut;p:(M_M_M_A&m=transformer&seq=256-');
  const alert = builder(page).getByRole('alert');
  await expect(alert).toContainText('could not be read');
  await expect(alert).toContainText(/model 1: p/);
  await expect(alert).toContainText(/seq/);
  // What could be read was loaded: the model kept its preset's stack and the second model is there.
  await expect(builder(page).getByRole('tab')).toHaveCount(2);
  await expect(builder(page).getByRole('tab', { name: 'Transformer' })).toBeVisible();

  // The page works: edit the stack, then dismiss the notice.
  await patternField(page).fill('M*2');
  await expect(layerRows(page)).toHaveCount(2);
  await builder(page).getByRole('button', { name: /^Dismiss/ }).click();
  await expect(alert).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a link of garbage starts from the defaults with an alert', async ({ page }) => {
  await page.goto('/#%E0%A4%A&&&<script>alert(1)</script>=1');
  await expect(builder(page).getByRole('alert')).toContainText('could not be read');
  await expect(builder(page).getByRole('tab')).toHaveCount(3);
  await expect(page.locator('script:not([src])')).toHaveCount(0);
  await expect(layerRows(page)).toHaveCount(12);
});

test('Back undoes a discrete action; typing does not add history entries', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/#v=1/);
  await expect(layerRows(page)).toHaveCount(12);

  await builder(page).getByRole('button', { name: 'Remove layer 12' }).click();
  await expect(layerRows(page)).toHaveCount(11);
  await builder(page).getByRole('textbox', { name: 'Name' }).fill('Renamed');
  await expect(builder(page).getByRole('tab', { name: 'Renamed' })).toBeVisible();

  await page.goBack();
  await expect(layerRows(page)).toHaveCount(12);
  await expect(builder(page).getByRole('tab', { name: 'Transformer' })).toBeVisible();

  await page.goForward();
  await expect(layerRows(page)).toHaveCount(11);
  await expect(builder(page).getByRole('tab', { name: 'Renamed' })).toBeVisible();
});
