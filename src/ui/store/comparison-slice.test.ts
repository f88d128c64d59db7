// The comparison slice's actions on a store of their own: rejected candidates leave the last valid model,
// limits on models and layers hold, discrete actions push history and typing replaces it.
import { beforeEach, describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { patternOf } from '../../model/build';
import { createComparisonSlice, type ComparisonSlice } from './comparison-slice';

let store = createStore<ComparisonSlice>()(createComparisonSlice);
const s = () => store.getState();
const model = () => s().comparison.models[s().selectedModel];

beforeEach(() => {
  store = createStore<ComparisonSlice>()(createComparisonSlice);
});

describe('comparison slice', () => {
  it('keeps the last valid model when a candidate is invalid, and says why', () => {
    const before = model();
    expect(s().setModelField('dModel', 5)).toBe('d_model: must be an integer from 8 to 16384, got 5');
    expect(s().setKindSettings('attention', { kvHeads: 5 })).toMatch(/^layer 1 KV heads: 12 heads cannot be shared among 5 key\/value heads .*\(and 11 more\)$/);
    expect(s().setLayerSettings(0, 'mixer', { headDim: 63 })).toMatch(/layer 1 head dim: must be even/);
    expect(s().renameModel(0, '<img>')).toMatch(/plain text/);
    expect(model()).toBe(before);
  });

  it('sets the weight format as a discrete action and refuses a format it does not know', () => {
    expect(s().setModelField('weightFormat', 'f16', 'push')).toBeNull();
    expect(model().weightFormat).toBe('f16');
    expect(s().lastHistoryMode).toBe('push');
    expect(s().setModelField('dModel', 1536)).toBeNull();
    expect(model().weightFormat).toBe('f16');
    expect(s().setModelField('weightFormat', 'bf16' as 'f16')).toBe(`weights: must be one of 'f32', 'f16', got "bf16"`);
    expect(model().weightFormat).toBe('f16');
  });

  it('sets the KV cache format as a discrete action and refuses a format it does not know', () => {
    expect(s().setModelField('kvCacheFormat', 'f16', 'push')).toBeNull();
    expect(model().kvCacheFormat).toBe('f16');
    expect(model().weightFormat).toBe('f32');
    expect(s().lastHistoryMode).toBe('push');
    expect(s().setModelField('dModel', 1536)).toBeNull();
    expect(model().kvCacheFormat).toBe('f16');
    expect(s().setModelField('kvCacheFormat', 'int8' as 'f16')).toBe(`KV cache: must be one of 'f32', 'f16', got "int8"`);
    expect(model().kvCacheFormat).toBe('f16');
  });

  it('pattern errors name the column; valid patterns keep the settings of layers whose kind stays', () => {
    s().applyPreset('mamba');
    s().setKindSettings('mamba', { dState: 32 });
    expect(s().setPattern('M*3 Q')).toBe("unexpected 'Q' at column 5");
    expect(model().layers).toHaveLength(24);
    expect(s().setPattern('M*3 A+')).toBeNull();
    expect(patternOf(model())).toBe('M*3 A+');
    expect(model().layers[0].mixer).toMatchObject({ kind: 'mamba', dState: 32 });
    expect(model().layers[3].mixer).toMatchObject({ kind: 'attention', heads: 12, headDim: 64, gate: 'none' });
    expect(s().lastHistoryMode).toBe('replace');
  });

  it('holds at most six models and never removes the last', () => {
    expect(s().comparison.models).toHaveLength(3);
    expect(s().addModel('tiny-mamba')).toBeNull();
    expect(s().selectedModel).toBe(3);
    expect(s().addModel()).toBeNull();
    expect(model().name).toBe('Copy of Tiny Mamba');
    expect(s().addModel('nope')).toMatch(/unknown preset/);
    expect(s().addModel()).toBeNull();
    expect(s().addModel()).toMatch(/at most 6 models/);
    for (let i = 5; i > 0; i--) expect(s().removeModel(0)).toBeNull();
    expect(s().removeModel(0)).toBe('a comparison needs at least one model');
    expect(s().comparison.models).toHaveLength(1);
    expect(s().selectedModel).toBe(0);
    expect(s().lastHistoryMode).toBe('push');
  });

  it('layer edits: add, duplicate, move, change kind, MLP toggle, never the last layer', () => {
    s().applyPreset('tiny-hybrid'); // M Gh+ L G+
    expect(s().moveLayer(0, 3)).toBeNull();
    expect(patternOf(model())).toBe('Gh+ L G+ M');
    expect(s().setLayerKind(0, 'attention')).toBeNull();
    expect(model().layers[0].mixer).toMatchObject({ kind: 'attention', heads: 4, kvHeads: 2, gate: 'none' });
    expect(s().setLayerKind(1, 'mlp-only')).toBeNull();
    expect(s().toggleMlp(1)).toMatch(/MLP only/);
    expect(s().duplicateLayer(3)).toBeNull();
    expect(s().addLayer('gla')).toBeNull();
    expect(patternOf(model())).toBe('A+ F G+ M M L');
    while (model().layers.length > 1) expect(s().removeLayer(0)).toBeNull();
    expect(s().removeLayer(0)).toBe('a model needs at least one layer');
    expect(s().lastHistoryMode).toBe('push');
  });

  it('a new d_model re-derives the auto settings; heads that do not divide it are named', () => {
    s().applyPreset('jamba');
    expect(s().setModelField('dModel', 1000)).toMatch(/not divisible by 12 attention heads/);
    expect(s().setModelField('dModel', 1536)).toBeNull();
    const mamba = model().layers.find((l) => l.mixer?.kind === 'mamba')!.mixer;
    expect(mamba).toMatchObject({ dtRank: 96 });
    expect(model().layers.find((l) => l.mixer?.kind === 'attention')!.mixer).toMatchObject({ headDim: 128 });
    expect(model().layers[0].mlp).toEqual({ kind: 'swiglu', hidden: 896 });
  });

  it('notices are added and dismissed', () => {
    const id = s().addNotice('warning', 'Part of this link could not be read', ['seq "x" ignored']);
    expect(s().notices).toEqual([{ id, level: 'warning', title: 'Part of this link could not be read', details: ['seq "x" ignored'] }]);
    s().dismissNotice(id);
    expect(s().notices).toEqual([]);
  });
});
