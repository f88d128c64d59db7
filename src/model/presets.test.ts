// Presets: official Mamba shapes match the released checkpoints' parameter counts; the same-size family
// stays within a few percent of Mamba 130M; every preset is a valid model.
import { describe, expect, it } from 'vitest';
import { validateModel } from './config';
import { costModel, modelWeights, countOf } from './cost-model';
import { getPreset, matchPreset, presetIds, presetModel, PRESETS } from './presets';
import { patternOf } from './build';

const total = (id: string) => costModel(getPreset(id)!.config, { seqLen: 1, mode: 'prefill' }).params.total;

describe('presets', () => {
  it('official Mamba shapes have the checkpoints’ parameter counts', () => {
    expect(total('mamba-130m')).toBe(129_135_360);
    expect(total('mamba-370m')).toBe(371_516_416);
    expect(total('mamba-790m')).toBe(793_204_224);
    expect(total('mamba-1.4b')).toBe(1_372_178_432);
    expect(total('mamba-2.8b')).toBe(2_768_345_600);
  });

  it('mamba-130m has the official state_dict names and shapes', () => {
    const w = modelWeights(getPreset('mamba-130m')!.config);
    const byName = new Map(w.map((x) => [x.name, x.shape]));
    expect(byName.get('backbone.embedding.weight')).toEqual([50280, 768]);
    expect(byName.get('backbone.layers.0.mixer.in_proj.weight')).toEqual([3072, 768]);
    expect(byName.get('backbone.layers.0.mixer.conv1d.weight')).toEqual([1536, 1, 4]);
    expect(byName.get('backbone.layers.0.mixer.x_proj.weight')).toEqual([80, 1536]);
    expect(byName.get('backbone.layers.0.mixer.dt_proj.weight')).toEqual([1536, 48]);
    expect(byName.get('backbone.layers.0.mixer.A_log')).toEqual([1536, 16]);
    expect(byName.get('backbone.layers.23.norm.weight')).toEqual([768]);
    expect(byName.get('backbone.norm_f.weight')).toEqual([768]);
    expect(byName.has('lm_head.weight')).toBe(false);
    expect(w.length).toBe(1 + 24 * 10 + 1);
    expect(w.reduce((a, x) => a + countOf(x.shape), 0)).toBe(129_135_360);
  });

  it('the same-size family is within 7% of Mamba 130M', () => {
    const family = PRESETS.filter((p) => p.family === 'same-size');
    expect(family.map((p) => p.id)).toEqual(['transformer', 'transformer-gated', 'transformer-gated-headwise', 'mamba', 'jamba', 'mamba-gated-attention', 'gla']);
    for (const p of family) expect(Math.abs(total(p.id) / 129_135_360 - 1)).toBeLessThan(0.07);
    expect(patternOf(getPreset('jamba')!.config)).toBe('(M+*4 A+ M+*3)x2');
    expect(patternOf(getPreset('mamba-gated-attention')!.config)).toBe('(M*3 G)x6');
  });

  it('every preset is valid, labelled and described; ids are unique', () => {
    expect(new Set(presetIds()).size).toBe(PRESETS.length);
    for (const p of PRESETS) {
      const r = validateModel(p.config);
      expect(r.ok, p.id).toBe(true);
      if (r.ok) expect(r.value).toEqual(p.config);
      expect(p.label.length).toBeGreaterThan(0);
      expect(p.description.length).toBeGreaterThan(10);
    }
  });

  it('tiny presets are small enough for whole-model GPU tests', () => {
    for (const id of ['tiny-mamba', 'tiny-transformer', 'tiny-hybrid']) {
      const c = getPreset(id)!.config;
      expect(c.dModel).toBeGreaterThanOrEqual(32);
      expect(c.dModel).toBeLessThanOrEqual(64);
      expect(c.layers.length).toBeLessThanOrEqual(4);
      expect(total(id)).toBeLessThan(200_000);
    }
  });

  it('presetModel returns an editable copy; matchPreset finds unchanged ones', () => {
    const m = presetModel('transformer')!;
    expect(matchPreset(m)?.id).toBe('transformer');
    m.layers[0].mlp!.hidden = 1;
    expect(getPreset('transformer')!.config.layers[0].mlp!.hidden).toBe(2304);
    expect(matchPreset(m)).toBeUndefined();
    expect(presetModel('nope')).toBeUndefined();
  });
});
