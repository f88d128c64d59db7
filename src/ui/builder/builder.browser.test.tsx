// The builder in Chromium with the real store: number fields validate every keystroke (message beside the
// field, store keeps the last valid model), the pattern field marks the bad column, kind settings reach
// every layer of the kind, and layers reorder by keyboard and by the move buttons.
import { beforeEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { render } from 'vitest-browser-react';
import { patternOf } from '../../model/build';
import { defaultComparison } from '../../model/presets';
import { encodeComparison } from '../../url/codec';
import { useAppStore } from '../store';
import { BuilderPanel } from './BuilderPanel';

const state = () => useAppStore.getState();
const selectedModel = () => state().comparison.models[state().selectedModel];

beforeEach(() => {
  useAppStore.setState({ comparison: defaultComparison(), selectedModel: 0, notices: [], lastHistoryMode: 'replace', readoutLength: 2048 });
});

async function renderBuilder() {
  const screen = await render(<BuilderPanel />);
  const paramsRow = () => screen.getByRole('row', { name: /^Parameters/ });
  const layerRows = () => screen.getByRole('list', { name: /^Layers/ }).getByRole('listitem');
  return { screen, paramsRow, layerRows };
}

describe('number fields', () => {
  it('an invalid d_model shows the reason beside the field and the store keeps the last valid model', async () => {
    const { screen, paramsRow } = await renderBuilder();
    await screen.getByRole('tab', { name: 'Mamba' }).click();
    const before = paramsRow().element().textContent;
    expect(before).toContain('129.1 M');
    const d = screen.getByRole('textbox', { name: 'd_model' });

    await d.fill('5');
    await expect.element(d).toHaveAttribute('aria-invalid', 'true');
    await expect.element(d).toHaveAccessibleDescription(/d_model: must be an integer from 8 to 16384, got 5/);
    expect(selectedModel().dModel).toBe(768);
    expect(paramsRow().element().textContent).toBe(before);

    await d.fill('512');
    await expect.element(d).not.toHaveAttribute('aria-invalid');
    expect(selectedModel().dModel).toBe(512);
    expect(selectedModel().layers[0].mixer).toMatchObject({ kind: 'mamba', dtRank: 32 });
    expect(state().lastHistoryMode).toBe('replace');
    await expect.element(paramsRow()).not.toHaveTextContent(before!);
  });

  it('text that is not a number is refused with a message, and Escape restores the stored value', async () => {
    const { screen } = await renderBuilder();
    const vocab = screen.getByRole('textbox', { name: 'Vocabulary' });
    await vocab.fill('12x');
    await expect.element(vocab).toHaveAccessibleDescription('"12x" is not a number');
    expect(selectedModel().vocabSize).toBe(50280);
    await userEvent.keyboard('{Escape}');
    await expect.element(vocab).toHaveValue('50280');
    await expect.element(vocab).not.toHaveAttribute('aria-invalid');
  });

  it('a preset picked while a field holds a rejected draft shows the preset\'s value', async () => {
    const { screen } = await renderBuilder();
    const d = screen.getByRole('textbox', { name: 'd_model' });
    await d.fill('5');
    await expect.element(d).toHaveAttribute('aria-invalid', 'true');
    await screen.getByRole('combobox', { name: 'Preset' }).selectOptions('Mamba 370M');
    await expect.element(d).toHaveValue('1024');
    await expect.element(d).not.toHaveAttribute('aria-invalid');
    await expect.element(screen.getByRole('textbox', { name: 'Stack pattern' })).toHaveValue('M*48');
    expect(state().lastHistoryMode).toBe('push');
  });

  it('a d_model the attention heads do not divide names the heads', async () => {
    const { screen } = await renderBuilder();
    const d = screen.getByRole('textbox', { name: 'd_model' });
    await d.fill('1000');
    await expect.element(d).toHaveAccessibleDescription(/1000 is not divisible by 12 attention heads/);
    expect(selectedModel().dModel).toBe(768);
  });

  it('kind settings apply to every layer of the kind; heads and KV heads move together', async () => {
    const { screen } = await renderBuilder();
    const heads = screen.getByRole('textbox', { name: 'Attention heads' });
    await heads.fill('16');
    const attention = selectedModel().layers.map((l) => l.mixer);
    expect(attention).toHaveLength(12);
    for (const m of attention) expect(m).toMatchObject({ kind: 'attention', heads: 16, kvHeads: 16, headDim: 48 });
    await expect.element(screen.getByRole('textbox', { name: 'Attention head dim' })).toHaveValue('48');

    await screen.getByRole('textbox', { name: 'Attention KV heads' }).fill('5');
    await expect.element(screen.getByRole('textbox', { name: 'Attention KV heads' })).toHaveAccessibleDescription(/16 heads cannot be shared among 5 key\/value heads/);
    expect(selectedModel().layers[0].mixer).toMatchObject({ kvHeads: 16 });
  });

  it('Weights fp16 matrices stores the model as halves: the weights readout shrinks and the link says w:f16', async () => {
    const { screen } = await renderBuilder();
    const weightsRow = () => screen.getByRole('row', { name: /^Weights/ });
    const before = weightsRow().element().textContent;
    const weights = screen.getByRole('combobox', { name: 'Weights' });
    await expect.element(weights).toHaveAccessibleDescription(/stored as halves/);
    await weights.selectOptions('fp16 matrices');
    expect(selectedModel().weightFormat).toBe('f16');
    expect(state().lastHistoryMode).toBe('push');
    expect(encodeComparison(state().comparison)).toContain('m=transformer;w:f16&');
    await expect.element(weightsRow()).not.toHaveTextContent(before!);
    await expect.element(screen.getByRole('combobox', { name: 'Preset' })).toHaveValue('');
  });

  it('KV cache fp16 stores the attention cache as halves: the decode state readout shrinks and the link says kv:f16', async () => {
    const { screen } = await renderBuilder();
    const stateRow = () => screen.getByRole('row', { name: /^KV cache \+ state, decode/ });
    const before = stateRow().element().textContent;
    const kvCache = screen.getByRole('combobox', { name: 'KV cache' });
    await expect.element(kvCache).toHaveAccessibleDescription(/keys and values stored as halves, halving the KV cache/);
    await kvCache.selectOptions('fp16');
    expect(selectedModel().kvCacheFormat).toBe('f16');
    expect(selectedModel().weightFormat).toBe('f32');
    expect(state().lastHistoryMode).toBe('push');
    expect(encodeComparison(state().comparison)).toContain('m=transformer;kv:f16&');
    await expect.element(stateRow()).not.toHaveTextContent(before!);
    await expect.element(screen.getByRole('combobox', { name: 'Preset' })).toHaveValue('');

    // A model without attention layers keeps the menu usable and says there is nothing to shrink.
    await screen.getByRole('tab', { name: 'Mamba' }).click();
    const mambaState = stateRow().element().textContent;
    await expect.element(kvCache).toHaveValue('f32');
    await expect.element(kvCache).toBeEnabled();
    await expect.element(kvCache).toHaveAccessibleDescription('No attention layer: no KV cache to shrink');
    await kvCache.selectOptions('fp16');
    expect(selectedModel().kvCacheFormat).toBe('f16');
    expect(state().lastHistoryMode).toBe('push');
    expect(stateRow().element().textContent).toBe(mambaState);
    expect(state().comparison.models.map((m) => m.kvCacheFormat)).toEqual(['f16', 'f16', 'f32']);
  });

  it('a name with markup is refused', async () => {
    const { screen } = await renderBuilder();
    const name = screen.getByRole('textbox', { name: 'Name' });
    await name.fill('My <b>model</b>');
    await expect.element(name).toHaveAccessibleDescription(/plain text/);
    expect(selectedModel().name).toBe('Transformer');
    await name.fill('My model');
    expect(selectedModel().name).toBe('My model');
    await expect.element(screen.getByRole('tab', { name: 'My model' })).toBeVisible();
  });
});

describe('pattern field', () => {
  it('marks the bad column and keeps the last valid stack, then rebuilds the stack from valid text', async () => {
    const { screen, layerRows } = await renderBuilder();
    await screen.getByRole('tab', { name: 'Mamba' }).click();
    const field = screen.getByRole('textbox', { name: 'Stack pattern' });
    await expect.element(field).toHaveValue('M*24');

    await field.fill('(M M Q A)x2');
    await expect.element(field).toHaveAccessibleDescription(/unexpected 'Q' at column 6/);
    expect(screen.container.querySelector('.pattern-echo mark')?.textContent).toBe('Q');
    expect(layerRows().elements()).toHaveLength(24);

    await field.fill('(M M M A)x2');
    await expect.element(field).not.toHaveAttribute('aria-invalid');
    expect(layerRows().elements()).toHaveLength(8);
    await expect.element(layerRows().nth(3)).toHaveAccessibleName('Layer 4: Attention');
    expect(state().lastHistoryMode).toBe('replace');
  });

  it('follows structural edits', async () => {
    const { screen } = await renderBuilder();
    await screen.getByRole('tab', { name: 'Mamba' }).click();
    await screen.getByRole('button', { name: 'Remove layer 24' }).click();
    await expect.element(screen.getByRole('textbox', { name: 'Stack pattern' })).toHaveValue('M*23');
    await screen.getByRole('combobox', { name: 'Layer 1 kind' }).selectOptions('Gated attention (per head)');
    await expect.element(screen.getByRole('textbox', { name: 'Stack pattern' })).toHaveValue('Gh M*22');
    expect(state().lastHistoryMode).toBe('push');
  });
});

describe('layer reordering', () => {
  beforeEach(() => {
    state().applyPreset('tiny-hybrid'); // M Gh+ L G+
  });

  it('Alt+ArrowDown / Alt+ArrowUp on a focused row move the layer, and focus follows it', async () => {
    const { layerRows } = await renderBuilder();
    const first = layerRows().nth(0);
    await expect.element(first).toHaveAccessibleName('Layer 1: Mamba');
    (first.element() as HTMLElement).focus();

    await userEvent.keyboard('{Alt>}{ArrowDown}{/Alt}');
    expect(patternOf(selectedModel())).toBe('Gh+ M L G+');
    expect(state().lastHistoryMode).toBe('push');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Layer 2: Mamba');

    await userEvent.keyboard('{Alt>}{ArrowDown}{/Alt}');
    expect(patternOf(selectedModel())).toBe('Gh+ L M G+');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Layer 3: Mamba');

    await userEvent.keyboard('{Alt>}{ArrowUp}{/Alt}');
    expect(patternOf(selectedModel())).toBe('Gh+ M L G+');

    // Without Alt the arrows move focus only.
    await userEvent.keyboard('{ArrowDown}');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Layer 3: GLA');
    expect(patternOf(selectedModel())).toBe('Gh+ M L G+');
  });

  it('the move buttons reorder and keep focus on the moved layer', async () => {
    const { screen, layerRows } = await renderBuilder();
    await screen.getByRole('button', { name: 'Move layer 4 up' }).click();
    expect(patternOf(selectedModel())).toBe('M Gh+ G+ L');
    await expect.element(layerRows().nth(2)).toHaveAccessibleName('Layer 3: Gated attention (per element) + MLP');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Move layer 3 up');
    await screen.getByRole('button', { name: 'Move layer 1 down' }).click();
    expect(patternOf(selectedModel())).toBe('Gh+ M G+ L');
  });

  it('duplicate, remove and the MLP toggle', async () => {
    const { screen, layerRows } = await renderBuilder();
    await screen.getByRole('button', { name: 'Duplicate layer 3' }).click();
    expect(patternOf(selectedModel())).toBe('M Gh+ L L G+');
    await screen.getByRole('checkbox', { name: 'Layer 1 MLP' }).click();
    expect(patternOf(selectedModel())).toBe('M+ Gh+ L L G+');
    await screen.getByRole('button', { name: 'Remove layer 2' }).click();
    expect(layerRows().elements()).toHaveLength(4);
    expect(patternOf(selectedModel())).toBe('M+ L L G+');
  });
});
