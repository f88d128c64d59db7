// Validation of models and comparisons: messages name the field and the reason; defaults are filled.
import { describe, expect, it } from 'vitest';
import { formatIssues, sanitizeName, sweepLengths, validateComparison, validateModel, type ValidationIssue } from './config';

const issuesOf = (r: ReturnType<typeof validateModel> | ReturnType<typeof validateComparison>): ValidationIssue[] => (r.ok ? [] : r.issues);

describe('validateModel', () => {
  it('fills defaults: dtRank auto = ceil(d/16), Mamba 16/4/2, attention headDim = d/heads, kvHeads = heads', () => {
    const r = validateModel({ dModel: 800, layers: [{ mixer: { kind: 'mamba' } }, { mixer: { kind: 'attention', heads: 10 }, mlp: {} }, { mixer: { kind: 'gla' } }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.name).toBe('Custom model');
    expect(r.value.vocabSize).toBe(50280);
    expect(r.value.tiedEmbeddings).toBe(true);
    expect(r.value.weightFormat).toBe('f32');
    expect(r.value.layers[0]).toEqual({ mixer: { kind: 'mamba', dState: 16, dConv: 4, expand: 2, dtRank: 50 }, mlp: null });
    expect(r.value.layers[1].mixer).toEqual({ kind: 'attention', heads: 10, kvHeads: 10, headDim: 80, ropeBase: 10000, gate: 'none' });
    expect(r.value.layers[1].mlp).toEqual({ kind: 'swiglu', hidden: 2176 });
    expect(r.value.layers[2].mixer).toEqual({ kind: 'gla', heads: 4, expandK: 0.5, expandV: 1 });
  });

  it('names the field and the reason', () => {
    expect(formatIssues(issuesOf(validateModel({ dModel: 7.5, layers: [{ mixer: { kind: 'mamba' } }] })))).toBe('dModel: must be an integer from 8 to 16384, got 7.5');
    const four = [{ mixer: { kind: 'mamba' } }, { mixer: { kind: 'mamba' } }, { mixer: { kind: 'mamba' } }, { mixer: { kind: 'attention', heads: 12 } }];
    expect(issuesOf(validateModel({ dModel: 770, layers: four }))).toEqual([{ path: 'layers[3].mixer.heads', message: 'd_model 770 is not divisible by 12 heads' }]);
    expect(issuesOf(validateModel({ dModel: 768, layers: [{ mixer: { kind: 'rnn' } }] }))).toEqual([{ path: 'layers[0].mixer.kind', message: `must be 'mamba', 'attention' or 'gla', got "rnn"` }]);
    expect(issuesOf(validateModel({ dModel: 768, layers: [{ mixer: { kind: 'mamba', dState: Number.NaN } }] }))[0].path).toBe('layers[0].mixer.dState');
    expect(issuesOf(validateModel({ dModel: '768', layers: [] }))[0]).toEqual({ path: 'dModel', message: 'must be an integer from 8 to 16384, got "768"' });
    expect(issuesOf(validateModel(null))[0].message).toContain('must be an object');
  });

  it('reads weightFormat f32 or f16 and names it when it is neither', () => {
    const layers = [{ mixer: { kind: 'mamba' } }];
    const r = validateModel({ dModel: 64, weightFormat: 'f16', layers });
    expect(r.ok && r.value.weightFormat).toBe('f16');
    expect(issuesOf(validateModel({ dModel: 64, weightFormat: 'bf16', layers }))).toEqual([{ path: 'weightFormat', message: `must be one of 'f32', 'f16', got "bf16"` }]);
    expect(issuesOf(validateModel({ dModel: 64, weightFormat: true, layers }))[0].path).toBe('weightFormat');
  });

  it('reads kvCacheFormat f32 (the default) or f16 and names it when it is neither', () => {
    const layers = [{ mixer: { kind: 'attention', heads: 2 } }];
    const plain = validateModel({ dModel: 64, layers });
    expect(plain.ok && plain.value.kvCacheFormat).toBe('f32');
    const r = validateModel({ dModel: 64, kvCacheFormat: 'f16', layers });
    expect(r.ok && r.value.kvCacheFormat).toBe('f16');
    expect(issuesOf(validateModel({ dModel: 64, kvCacheFormat: 'int8', layers }))).toEqual([{ path: 'kvCacheFormat', message: `must be one of 'f32', 'f16', got "int8"` }]);
  });

  it('checks fields against each other', () => {
    const r = validateModel({
      dModel: 768,
      layers: [
        { mixer: { kind: 'attention', heads: 12, kvHeads: 5 } },
        { mixer: null, mlp: null },
        { mixer: { kind: 'gla', heads: 5 } },
        { mixer: { kind: 'attention', heads: 12, headDim: 63 } },
        { mixer: { kind: 'attention', heads: 64, headDim: 128 } },
        { mixer: { kind: 'mamba', expand: 1.5001 } },
      ],
    });
    expect(issuesOf(r).map((i) => i.path)).toEqual([
      'layers[0].mixer.kvHeads',
      'layers[1]',
      'layers[2].mixer.expandK',
      'layers[2].mixer.expandV',
      'layers[3].mixer.headDim',
      'layers[4].mixer.headDim',
      'layers[5].mixer.expand',
    ]);
    expect(formatIssues(issuesOf(r))).toContain('layers[2].mixer.expandK: key dim 384 (d_model 768 × 0.5) is not divisible by 5 heads');
    expect(formatIssues(issuesOf(r))).toContain('layers[1]: a layer needs a mixer, an MLP or both');
  });

  it('rejects names with markup or control characters, and empty stacks', () => {
    expect(issuesOf(validateModel({ name: '<b>x</b>', dModel: 64, layers: [{ mlp: {} }] }))[0].path).toBe('name');
    expect(issuesOf(validateModel({ dModel: 64, layers: [] }))[0]).toEqual({ path: 'layers', message: 'needs at least one layer' });
    expect(sanitizeName(' a\u0000b <script>  c ')).toBe('a b script c');
    expect(sanitizeName('x'.repeat(100))).toHaveLength(64);
  });
});

describe('validateComparison', () => {
  const model = { dModel: 64, layers: [{ mixer: { kind: 'mamba' } }] };
  it('fills sweep and chart defaults', () => {
    const r = validateComparison({ version: 1, models: [model] });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.sweep).toEqual({ seqStart: 256, seqMax: 16384, modes: ['prefill', 'decode'], decodeSteps: 64, warmup: 2, repeats: 5 });
      expect(r.value.charts.visible).toEqual(['throughput', 'latency', 'memory', 'flops']);
    }
  });
  it('prefixes model issues with models[i] and checks the sweep', () => {
    const r = validateComparison({ version: 1, models: [model, { ...model, dModel: 4 }], sweep: { seqStart: 512, seqMax: 128 } });
    expect(issuesOf(r)).toEqual([
      { path: 'models[1].dModel', message: 'must be an integer from 8 to 16384, got 4' },
      { path: 'sweep.seqMax', message: 'must be at least seqStart (512), got 128' },
    ]);
    expect(issuesOf(validateComparison({ version: 1, models: Array(7).fill(model) }))[0]).toEqual({ path: 'models', message: 'at most 6 models, got 7' });
    expect(issuesOf(validateComparison({ version: 2, models: [model] }))[0].path).toBe('version');
  });
  it('lists sweep lengths doubling up to the maximum', () => {
    expect(sweepLengths({ seqStart: 256, seqMax: 2048 })).toEqual([256, 512, 1024, 2048]);
    expect(sweepLengths({ seqStart: 100, seqMax: 500 })).toEqual([100, 200, 400, 500]);
  });
});
