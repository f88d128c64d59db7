// Cost model: parameter counts by weight name, FLOPs and memory scaling a user sees on the charts.
import { describe, expect, it } from 'vitest';
import { costModel, decodeStateBytes } from './cost-model';
import { modelFromPattern } from './build';
import { getPreset } from './presets';

const mamba = getPreset('mamba')!.config;
const transformer = getPreset('transformer')!.config;
const gla = getPreset('gla')!.config;

describe('costModel', () => {
  it('counts parameters per layer by weight name', () => {
    const c = costModel(transformer, { seqLen: 16, mode: 'prefill' });
    expect(c.params.embedding).toBe(50280 * 768);
    expect(c.params.lmHead).toBe(0);
    expect(c.params.perLayer[0].mixer).toBe(4 * 768 * 768);
    expect(c.params.perLayer[0].mlp).toBe(3 * 768 * 2304);
    expect(c.params.perLayer[0].norms).toBe(2 * 768);
    expect(c.params.perLayer[0].code).toBe('A+');
    expect(c.params.total).toBe(c.params.embedding + c.params.layers + c.params.finalNorm);
    expect(c.bytes.weights).toBe(4 * c.params.total);
  });

  it('counts gate and GLA weights as the blocks hold them', () => {
    const d = 64;
    const m = modelFromPattern({ name: 'g', dModel: d, vocabSize: 10, tiedEmbeddings: false, pattern: 'A G Gh L F', settings: { attention: { heads: 4 }, gla: { heads: 2 }, mlp: { hidden: 32 } } });
    const c = costModel(m, { seqLen: 8, mode: 'prefill' });
    expect(c.params.lmHead).toBe(640);
    expect(c.params.perLayer.map((l) => l.mixer)).toEqual([4 * d * d, 5 * d * d, 4 * d * d + 4 * d, 0.5 * d * d * 2 + d * d * 3 + 16 * d + 16 * 32 + 32 + 32, 0]);
    expect(c.params.perLayer[4].mlp).toBe(3 * 32 * d);
    expect(c.params.perLayer[3].weights.find((w) => w.name === 'mixer.o_norm.weight')!.shape).toEqual([32]);
  });

  it('Mamba decode state is constant in L; the attention KV cache grows linearly', () => {
    const at = (m: typeof mamba, L: number) => costModel(m, { seqLen: L, mode: 'decode' }).bytes.cache;
    expect(at(mamba, 1024)).toBe(at(mamba, 16384));
    expect(at(mamba, 1024)).toBe(24 * (1536 * 3 + 1536 * 16) * 4);
    expect(at(transformer, 2048)).toBe(2 * at(transformer, 1024));
    expect(at(transformer, 1024)).toBe(12 * 2 * 12 * 1024 * 64 * 4);
    expect(at(gla, 1024)).toBe(at(gla, 8192));
    expect(at(gla, 1024)).toBe(12 * 4 * 96 * 192 * 4);
    expect(decodeStateBytes(transformer, 4, 1024)).toBe(4 * at(transformer, 1024));
    expect(costModel(transformer, { seqLen: 1024, mode: 'prefill' }).bytes.cache).toBe(0);
  });

  it('attention FLOPs per token grow with L; Mamba’s do not', () => {
    const f = (m: typeof mamba, L: number) => costModel(m, { seqLen: L, mode: 'prefill' }).flopsPerToken;
    expect(f(transformer, 8192).prefill).toBeGreaterThan(f(transformer, 1024).prefill);
    expect(f(transformer, 8192).prefill - f(transformer, 1024).prefill).toBeCloseTo(12 * (4 * 768 + 5 * 12) * (8192 - 1024) / 2, 0);
    expect(f(transformer, 8192).decode).toBeGreaterThan(f(transformer, 8192).prefill);
    expect(f(mamba, 8192).prefill).toBe(f(mamba, 1024).prefill);
    expect(f(mamba, 1024).decode).toBe(f(mamba, 1024).prefill);
    // Matmuls dominate: ~2 FLOPs per parameter, with the embedding counted once for lm_head.
    const ratio = f(mamba, 1024).prefill / (2 * (mamba.layers.length * 3_771_648 + 50280 * 768));
    expect(ratio).toBeGreaterThan(1);
    expect(ratio).toBeLessThan(1.2);
  });

  it('prefill activations grow linearly with L and batch; materialized scores grow with L²', () => {
    const a = (L: number, batch = 1) => costModel(transformer, { seqLen: L, batch, mode: 'prefill' }).bytes;
    const last = 50280 * 4;
    expect(a(4096).activations - last).toBe(2 * (a(2048).activations - last));
    expect(a(2048, 2).activations - 2 * last).toBe(2 * (a(2048).activations - last));
    const s = (L: number) => costModel(transformer, { seqLen: L, mode: 'prefill', attentionScores: 'materialized' }).bytes.scratch;
    expect(s(2048)).toBe(4 * s(1024));
    const all = costModel(transformer, { seqLen: 1024, mode: 'prefill', logits: 'all' }).bytes.activations;
    expect(all - a(1024).activations).toBe(1023 * 50280 * 4);
    const b = a(1024);
    expect(b.total).toBe(b.weights + b.activations + b.cache + b.scratch);
  });
});
