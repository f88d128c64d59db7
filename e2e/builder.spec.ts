// The model builder driven as a person would: pick a preset, rewrite the stack pattern, type an invalid
// d_model, reorder layers by keyboard, buttons and drag, add and remove models. Runs against the built
// page (vite preview, production CSP).
import { expect, test, type Page } from '@playwright/test';

/** Everything below is looked up inside the builder (the measurements side has tables and fields too). */
const builder = (page: Page) => page.getByRole('region', { name: 'Model builder' });
const paramsRow = (page: Page) => builder(page).getByRole('row', { name: /^Parameters/ });
const layerRows = (page: Page) => builder(page).getByRole('list', { name: /^Layers/ }).getByRole('listitem');
const patternField = (page: Page) => builder(page).getByRole('textbox', { name: 'Stack pattern' });

let errors: string[] = [];
test.beforeEach(async ({ page }) => {
  errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(builder(page).getByRole('tab', { name: 'Transformer' })).toHaveAttribute('aria-selected', 'true');
});
test.afterEach(() => {
  expect(errors).toEqual([]);
});

test('a preset, then the pattern (M M M A)x2: eight layer rows and a new parameter count', async ({ page }) => {
  await builder(page).getByRole('combobox', { name: 'Preset' }).selectOption({ label: 'Mamba' });
  await expect(patternField(page)).toHaveValue('M*24');
  await expect(layerRows(page)).toHaveCount(24);
  await expect(paramsRow(page)).toContainText('129.1 M');
  const before = await paramsRow(page).textContent();

  await patternField(page).fill('(M M M A)x2');
  await expect(layerRows(page)).toHaveCount(8);
  await expect(builder(page).getByRole('heading', { name: 'Layers (8)' })).toBeVisible();
  await expect(layerRows(page).nth(3)).toHaveAccessibleName('Layer 4: Attention');
  await expect(layerRows(page).nth(7)).toHaveAccessibleName('Layer 8: Attention');
  await expect(paramsRow(page)).not.toHaveText(before!);
  // Attention settings appear once the model has attention layers.
  await expect(builder(page).getByRole('textbox', { name: 'Attention heads' })).toHaveValue('12');
  // The preset menu says the model is no longer a preset.
  await expect(builder(page).getByRole('combobox', { name: 'Preset' })).toHaveValue('');

  // A bad character is reported with its column; the eight layers stay.
  await patternField(page).fill('(M M M A)x2 Q');
  await expect(patternField(page)).toHaveAccessibleDescription(/unexpected 'Q' at column 13/);
  await expect(layerRows(page)).toHaveCount(8);
});

test('an invalid d_model shows its message beside the field and the readout keeps the last valid figure', async ({ page }) => {
  const before = await paramsRow(page).textContent();
  const d = builder(page).getByRole('textbox', { name: 'd_model' });
  await d.fill('5');
  await expect(d).toHaveAttribute('aria-invalid', 'true');
  await expect(d).toHaveAccessibleDescription('d_model: must be an integer from 8 to 16384, got 5');
  await expect(builder(page).getByText('d_model: must be an integer from 8 to 16384, got 5')).toBeVisible();
  await expect(paramsRow(page)).toHaveText(before!);

  await d.fill('1536');
  await expect(d).not.toHaveAttribute('aria-invalid');
  await expect(paramsRow(page)).not.toHaveText(before!);
  await expect(builder(page).getByRole('textbox', { name: 'Attention head dim' })).toHaveValue('128');
});

test('layers reorder by keyboard, by the move buttons and by dragging', async ({ page }) => {
  await builder(page).getByRole('combobox', { name: 'Preset' }).selectOption({ label: 'Tiny hybrid' });
  await expect(patternField(page)).toHaveValue('M Gh+ L G+');

  await layerRows(page).first().focus();
  await page.keyboard.press('Alt+ArrowDown');
  await expect(layerRows(page).nth(0)).toHaveAccessibleName('Layer 1: Gated attention (per head) + MLP');
  await expect(layerRows(page).nth(1)).toHaveAccessibleName('Layer 2: Mamba');
  await expect(layerRows(page).nth(1)).toBeFocused();
  await expect(patternField(page)).toHaveValue('Gh+ M L G+');

  await builder(page).getByRole('button', { name: 'Move layer 4 up' }).click();
  await expect(patternField(page)).toHaveValue('Gh+ M G+ L');
  await builder(page).getByRole('button', { name: 'Move layer 1 down' }).click();
  await expect(patternField(page)).toHaveValue('M Gh+ G+ L');

  // Native drag and drop: the handle of layer 4 onto layer 1.
  await layerRows(page).nth(3).locator('.drag-handle').dragTo(layerRows(page).nth(0));
  await expect(patternField(page)).toHaveValue('L M Gh+ G+');
});

test('models are added (at most six) and removed (never the last)', async ({ page }) => {
  const tabs = builder(page).getByRole('tab');
  await expect(tabs).toHaveCount(3);
  const add = builder(page).getByRole('button', { name: 'Add model' });
  await add.click();
  await expect(tabs).toHaveCount(4);
  await expect(builder(page).getByRole('tab', { name: 'Copy of Transformer' })).toHaveAttribute('aria-selected', 'true');
  await add.click();
  await add.click();
  await expect(tabs).toHaveCount(6);
  await expect(add).toBeDisabled();

  await builder(page).getByRole('tab', { name: 'Mamba' }).click();
  await builder(page).getByRole('button', { name: 'Remove model Mamba' }).click();
  await expect(tabs).toHaveCount(5);
  await expect(builder(page).getByRole('tab', { name: 'Mamba', exact: true })).toHaveCount(0);
  for (let n = 5; n > 1; n--) await builder(page).getByRole('button', { name: /^Remove model/ }).click();
  await expect(tabs).toHaveCount(1);
  await expect(builder(page).getByRole('button', { name: /^Remove model/ })).toBeDisabled();
});
