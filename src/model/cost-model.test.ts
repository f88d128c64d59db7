// Cost model: parameter counts by weight name, FLOPs and memory scaling a user sees on the charts.
import { describe, expect, it } from 'vitest';
import { costModel, countOf, decodeStateBytes, modelWeights, weightBytes } from './cost-model';
import { modelFromPattern } from './build';
import { getPreset } from './presets';
import { storedAsHalf } from './storage-format';

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

  it('fp16 weights: the matrices take 2 bytes per value, everything else 4; parameters and FLOPs unchanged', () => {
    // d 64, vocabulary 256, one Mamba layer (d_inner 128, N 16, K 4, R 4), tied embeddings.
    const tiny = modelFromPattern({ name: 't', dModel: 64, vocabSize: 256, pattern: 'M' });
    const half = { ...tiny, weightFormat: 'f16' as const };
    // Halves: embedding 256·64 = 16384, in_proj 256·64 = 16384, x_proj 36·128 = 4608, out_proj 64·128 = 8192.
    const halves = 16384 + 16384 + 4608 + 8192;
    // float32: norm 64, conv1d 128·4 + 128, dt_proj 128·4 + 128, A_log 128·16, D 128, norm_f 64.
    const floats = 64 + 512 + 128 + 512 + 128 + 2048 + 128 + 64;
    expect(costModel(tiny, { seqLen: 8, mode: 'prefill' }).params.total).toBe(49152);
    expect(halves + floats).toBe(49152);
    expect(costModel(tiny, { seqLen: 8, mode: 'prefill' }).bytes.weights).toBe(196608);
    expect(costModel(half, { seqLen: 8, mode: 'prefill' }).bytes.weights).toBe(105472);
    expect(105472).toBe(4 * 49152 - 2 * halves);
    // An own lm_head (256·64) is a matrix too.
    expect(weightBytes({ ...half, tiedEmbeddings: false })).toBe(105472 + 2 * 16384);
    // Odd counts round up to whole u32 words per tensor: d 9, vocabulary 11, one MLP of 3 (gate, up, down 27 each).
    const odd = modelFromPattern({ name: 'o', dModel: 9, vocabSize: 11, pattern: 'F', settings: { mlp: { hidden: 3 } }, weightFormat: 'f16' });
    expect(weightBytes(odd)).toBe(100 * 2 + 9 * 4 + 3 * 28 * 2 + 9 * 4);
    expect(weightBytes({ ...odd, weightFormat: 'f32' })).toBe((99 + 9 + 81 + 9) * 4);

    const mambaHalf = { ...mamba, weightFormat: 'f16' as const };
    const a = costModel(mamba, { seqLen: 1024, mode: 'decode' });
    const b = costModel(mambaHalf, { seqLen: 1024, mode: 'decode' });
    const halfCount = modelWeights(mamba).filter((w) => storedAsHalf(w.name, 'f16')).reduce((n, w) => n + countOf(w.shape), 0);
    expect(halfCount).toBe(50280 * 768 + 24 * (2 * 1536 * 768 + (48 + 32) * 1536 + 768 * 1536));
    expect(a.bytes.weights).toBe(4 * a.params.total);
    expect(b.bytes.weights).toBe(4 * a.params.total - 2 * halfCount);
    expect(b.params).toEqual(a.params);
    expect(b.flopsPerToken).toEqual(a.flopsPerToken);
    expect(b.bytes.total - b.bytes.weights).toBe(a.bytes.total - a.bytes.weights);
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
