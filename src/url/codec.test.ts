// The URL codec: round trips, preset ids for unchanged presets, readable fields, and a decoder that never
// throws and always yields a valid Comparison, whatever the fragment.
import { describe, expect, it } from 'vitest';
import { validateComparison, type Comparison } from '../model/config';
import { modelFromPattern } from '../model/build';
import { defaultComparison, presetModel, PRESETS } from '../model/presets';
import { rng } from '../testing/random';
import { decodeComparison, encodeComparison, encodeModel } from './codec';

const comparisonOf = (models: Comparison['models'], patch: Partial<Comparison> = {}): Comparison => ({ ...defaultComparison(), models, ...patch });

const customHybrid = () => {
  const m = modelFromPattern({
    name: 'My hybrid_1 (test)',
    dModel: 512,
    vocabSize: 32000,
    normEps: 1e-6,
    tiedEmbeddings: false,
    batch: 4,
    pattern: '(M+ M+ Gh+ M+)x3 L F',
    settings: { attention: { heads: 8, kvHeads: 2, ropeBase: 500000 }, mamba: { dState: 32 }, gla: { heads: 8, expandK: 1 }, mlp: { hidden: 1536 } },
  });
  m.layers[5] = { mixer: { kind: 'mamba', dState: 64, dConv: 4, expand: 2, dtRank: 40 }, mlp: { kind: 'swiglu', hidden: 1024 } };
  m.layers[6] = { ...m.layers[6], mixer: { kind: 'attention', heads: 16, kvHeads: 16, headDim: 32, ropeBase: 10000, gate: 'headwise' } };
  m.layers[9] = { ...m.layers[9], mixer: { kind: 'mamba', dState: 64, dConv: 4, expand: 2, dtRank: 40 }, mlp: { kind: 'swiglu', hidden: 1024 } };
  return m;
};

describe('encodeComparison / decodeComparison', () => {
  it('uses preset ids for unchanged presets and a readable seq range', () => {
    const f = encodeComparison(defaultComparison());
    expect(f).toBe('v=1&m=transformer&m=mamba&m=jamba&seq=256-16384');
    const d = decodeComparison(f);
    expect(d.warnings).toEqual([]);
    expect(d.comparison).toEqual(defaultComparison());
  });

  it('round-trips every preset, alone and renamed', () => {
    for (const p of PRESETS) {
      const c = comparisonOf([presetModel(p.id)!]);
      expect(encodeModel(p.config)).toBe(p.id);
      expect(decodeComparison(encodeComparison(c)).comparison).toEqual(c);
      const renamed = comparisonOf([{ ...presetModel(p.id)!, name: 'Renamed <x> model' .replace(/[<>]/g, '') }]);
      const back = decodeComparison(encodeComparison(renamed));
      expect(back.warnings).toEqual([]);
      expect(back.comparison).toEqual(renamed);
    }
  });

  it('encodes a modified preset as the preset plus the changed fields', () => {
    const m = presetModel('jamba')!;
    for (const l of m.layers) if (l.mlp) l.mlp.hidden = 1024;
    expect(encodeModel(m)).toBe('jamba;F:1024');
    const wider = { ...presetModel('mamba-370m')!, dModel: 1280 };
    wider.layers = presetModel('mamba-370m')!.layers.map((l) => ({ ...l, mixer: { ...l.mixer!, dtRank: 80 } }));
    expect(encodeModel(wider)).toBe('mamba-370m;d:1280');
  });

  it('round-trips custom hybrids with per-layer overrides and every sweep and chart setting', () => {
    const c = comparisonOf([customHybrid(), presetModel('mamba-2.8b')!, presetModel('tiny-hybrid')!], {
      sweep: { seqStart: 128, seqMax: 3000, modes: ['decode'], decodeSteps: 16, warmup: 0, repeats: 9 },
      charts: { logX: false, logY: true, visible: ['memory'] },
    });
    const f = encodeComparison(c, { attachedResults: 'abc-DEF_123' });
    expect(f).toContain('p:(M+*2_Gh+_M+)x3_L_F');
    expect(f).toContain('@5,9:M-64-4-2-40,F-1024');
    expect(f).toContain('seq=128-3000');
    expect(f).toContain('name:My_hybrid%5F1_(test)');
    const d = decodeComparison(`#${f}`);
    expect(d.warnings).toEqual([]);
    expect(d.comparison).toEqual(c);
    expect(d.attachedResults).toBe('abc-DEF_123');
    expect(decodeComparison(encodeComparison({ ...c, charts: { logX: false, logY: false, visible: [] } })).comparison.charts).toEqual({ logX: false, logY: false, visible: [] });
  });

  it('writes the weight format only when it is fp16; links without it read as f32', () => {
    const half = { ...presetModel('mamba')!, weightFormat: 'f16' as const };
    expect(encodeModel(half)).toBe('mamba;w:f16');
    const custom = { ...customHybrid(), weightFormat: 'f16' as const };
    for (const m of [half, custom]) {
      const c = comparisonOf([m, presetModel('transformer')!]);
      const d = decodeComparison(encodeComparison(c));
      expect(d.warnings).toEqual([]);
      expect(d.comparison).toEqual(c);
      expect(d.comparison.models.map((x) => x.weightFormat)).toEqual(['f16', 'f32']);
    }
    expect(encodeComparison(defaultComparison())).not.toContain('w:');
    const old = decodeComparison('v=1&m=jamba;F:1024&m=d:512;p:(M_M_M_G)x4;A:8-8-a-10000&seq=256-16384');
    expect(old.warnings).toEqual([]);
    expect(old.comparison.models.map((x) => x.weightFormat)).toEqual(['f32', 'f32']);
  });

  it('warns about a bad weight format and keeps the previous one', () => {
    const d = decodeComparison('v=1&m=mamba;w:bf16&m=d:256;w:f16;p:M*2');
    expect(d.warnings).toEqual(['model 1: weight format w "bf16" is not f32 or f16; kept f32']);
    expect(d.comparison.models.map((x) => x.weightFormat)).toEqual(['f32', 'f16']);
    expect(d.comparison.models[0]).toEqual(presetModel('mamba'));
  });

  it('writes the KV cache format only when it is fp16; links without it read as f32', () => {
    const half = { ...presetModel('transformer')!, kvCacheFormat: 'f16' as const };
    expect(encodeModel(half)).toBe('transformer;kv:f16');
    expect(encodeModel({ ...half, weightFormat: 'f16' })).toBe('transformer;w:f16;kv:f16');
    const custom = { ...customHybrid(), kvCacheFormat: 'f16' as const };
    // Without an attention layer the format changes nothing on the GPU, but the link keeps it.
    const noAttention = { ...presetModel('mamba')!, kvCacheFormat: 'f16' as const };
    expect(encodeModel(noAttention)).toBe('mamba;kv:f16');
    for (const m of [half, custom, noAttention, { ...custom, weightFormat: 'f16' as const }]) {
      const c = comparisonOf([m, presetModel('jamba')!]);
      const d = decodeComparison(encodeComparison(c));
      expect(d.warnings).toEqual([]);
      expect(d.comparison).toEqual(c);
      expect(d.comparison.models.map((x) => x.kvCacheFormat)).toEqual(['f16', 'f32']);
    }
    expect(encodeComparison(defaultComparison())).not.toContain('kv:');
    const old = decodeComparison('v=1&m=jamba;F:1024&m=d:512;p:(M_M_M_G)x4;A:8-8-a-10000;w:f16&seq=256-16384');
    expect(old.warnings).toEqual([]);
    expect(old.comparison.models.map((x) => x.kvCacheFormat)).toEqual(['f32', 'f32']);
  });

  it('warns about a bad KV cache format and keeps the previous one', () => {
    const d = decodeComparison('v=1&m=transformer;kv:int8&m=d:256;kv:f16;p:A*2&m=jamba;kv:');
    expect(d.warnings).toEqual(['model 1: KV cache format kv "int8" is not f32 or f16; kept f32', 'model 3: KV cache format kv "" is not f32 or f16; kept f32']);
    expect(d.comparison.models.map((x) => x.kvCacheFormat)).toEqual(['f32', 'f16', 'f32']);
    expect(d.comparison.models[0]).toEqual(presetModel('transformer'));
    expect(d.comparison.models[2]).toEqual(presetModel('jamba'));
  });

  it('loads what it can and says what it ignored', () => {
    const d = decodeComparison('v=1&m=mamba&m=nope&m=d:770;p:A*2;A:12&m=jamba;p:M*3_Q;b:0;name:%3Cscript%3Ealert(1)%3C%2Fscript%3E&seq=abc&zzz=1&mode=fast,decode');
    expect(d.comparison.models.map((m) => m.name)).toEqual(['Mamba', 'Custom model', 'scriptalert(1)/script']);
    expect(d.comparison.models[1].layers[0].mixer).toMatchObject({ heads: 12, headDim: 64 });
    expect(d.comparison.models[2].layers).toHaveLength(16);
    const w = d.warnings.join('\n');
    expect(w).toContain('model 2: unknown preset "nope"');
    expect(w).toContain('model 3: d_model 770 is not divisible by 12 heads; headDim rounded down to 64');
    expect(w).toContain(`model 4: pattern "M*3 Q": unexpected 'Q' at column 5`);
    expect(w).toContain('model 4: batch 0 is outside 1..1024; kept 1');
    expect(w).toContain('model 4: name: removed markup');
    expect(w).toContain('seq "abc" is not START-MAX');
    expect(w).toContain('ignored unknown field "zzz"');
    expect(d.comparison.sweep.modes).toEqual(['decode']);
    expect(validateComparison(d.comparison).ok).toBe(true);
  });

  it('steps back to valid settings when the given ones do not fit together', () => {
    const d = decodeComparison('v=1&m=d:768;p:L*2;L:5');
    expect(d.warnings).toEqual([
      'model 1: layers[0].mixer.expandK: key dim 384 (d_model 768 × 0.5) is not divisible by 5 heads; layers[0].mixer.expandV: value dim 768 (d_model 768 × 1) is not divisible by 5 heads; layers[1].mixer.expandK: key dim 384 (d_model 768 × 0.5) is not divisible by 5 heads; layers[1].mixer.expandV: value dim 768 (d_model 768 × 1) is not divisible by 5 heads',
      'model 1: loaded with default settings per kind',
    ]);
    expect(d.comparison.models[0].layers[0].mixer).toEqual({ kind: 'gla', heads: 4, expandK: 0.5, expandV: 1 });
  });

  it('handles versions: missing, newer, nonsense', () => {
    expect(decodeComparison('m=mamba').warnings).toEqual(['no version (v=); read as version 1']);
    expect(decodeComparison('v=7&m=mamba').warnings[0]).toContain('newer than this page');
    expect(decodeComparison('v=x&m=mamba').warnings[0]).toContain('not a version number');
    expect(decodeComparison('').warnings).toEqual([]);
    expect(decodeComparison('v=1').warnings).toEqual(['no models in the link; started from the default models']);
  });

  it('keeps at most six models', () => {
    const d = decodeComparison(`v=1${'&m=tiny-mamba'.repeat(9)}`);
    expect(d.comparison.models).toHaveLength(6);
    expect(d.warnings).toEqual(['more than 6 models; ignored the rest']);
  });

  it('never throws and always returns a valid Comparison (fuzz)', () => {
    const r = rng(1234);
    const seeds = [
      encodeComparison(comparisonOf([customHybrid(), presetModel('gla')!], { sweep: { seqStart: 64, seqMax: 4096, modes: ['prefill'], decodeSteps: 8, warmup: 1, repeats: 3 } }), { attachedResults: 'xyz' }),
      encodeComparison(defaultComparison()),
      'v=1&m=jamba;F:1024;A:8-8-a-10000&m=d:256;w:f16;kv:f16;p:(M_G)x4;M:16-4-2-a&log=x&show=memory,latency',
    ];
    const alphabet = 'vmpdAMLFGhx*+()_;:,&=@-.0123456789abcz%#<>\u0000é ';
    const pick = (s: string) => s[Math.floor(r() * s.length)];
    for (let t = 0; t < 3000; t++) {
      let s = seeds[t % seeds.length];
      const edits = 1 + Math.floor(r() * 6);
      for (let e = 0; e < edits; e++) {
        const i = Math.floor(r() * (s.length + 1));
        const op = r();
        if (op < 0.3) s = s.slice(0, i) + pick(alphabet) + s.slice(i);
        else if (op < 0.55) s = s.slice(0, i) + s.slice(i + 1 + Math.floor(r() * 4));
        else if (op < 0.75) s = s.slice(0, i) + pick(alphabet) + s.slice(i + 1);
        else if (op < 0.85) s = s.slice(0, i);
        else if (op < 0.95) s = s.slice(0, i) + s.slice(Math.floor(r() * s.length), Math.floor(r() * s.length)) + s.slice(i);
        else s = s.replace(/\d+/, String(Math.floor(r() * 1e6) * (r() < 0.5 ? 1 : 1e9)));
      }
      const d = decodeComparison(s);
      const v = validateComparison(d.comparison);
      expect(v.ok, s).toBe(true);
      expect(v.ok && v.value).toEqual(d.comparison);
    }
    for (let t = 0; t < 1000; t++) {
      const s = Array.from({ length: Math.floor(r() * 80) }, () => (r() < 0.7 ? pick(alphabet) : String.fromCharCode(Math.floor(r() * 0x3000)))).join('');
      expect(validateComparison(decodeComparison(s).comparison).ok, s).toBe(true);
    }
  });
});
