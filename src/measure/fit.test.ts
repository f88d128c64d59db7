// The largest single buffer a point allocates: the decode KV cache at its format's bytes per value (fp16
// halves it), the prefill keys float32 in either format, and the embedding table as the weight format says.
import { describe, expect, it } from 'vitest';
import { modelFromPattern } from '../model/build';
import { largestBufferBytes } from './fit';

// One attention layer (8 KV heads of 64) and a small vocabulary, so the KV cache is the largest buffer.
const model = modelFromPattern({ name: 'kv', dModel: 512, vocabSize: 1000, pattern: 'A', settings: { attention: { heads: 8, kvHeads: 8 } } });

describe('largestBufferBytes', () => {
  it('sizes the decode KV cache by its format: 4 bytes per value in f32, 2 in f16', () => {
    const f32 = largestBufferBytes(model, 'decode', 4096, 2, 4200);
    expect(f32).toEqual({ bytes: 2 * 8 * 4200 * 64 * 4, what: 'layer 0 (KV cache)' });
    const f16 = largestBufferBytes({ ...model, kvCacheFormat: 'f16' }, 'decode', 4096, 2, 4200);
    expect(f16).toEqual({ bytes: 2 * 8 * 4200 * 64 * 2, what: 'layer 0 (KV cache)' });
  });

  it('keeps a prefill\'s keys float32 under either KV cache format', () => {
    const f32 = largestBufferBytes(model, 'prefill', 4096, 2, 4096);
    expect(largestBufferBytes({ ...model, kvCacheFormat: 'f16' }, 'prefill', 4096, 2, 4096)).toEqual(f32);
    expect(f32.bytes).toBe(2 * 4096 * 512 * 4);
  });

  it('a model without attention layers is the same under either KV cache format', () => {
    const mamba = modelFromPattern({ name: 'm', dModel: 256, vocabSize: 50000, pattern: 'M*2' });
    const f32 = largestBufferBytes(mamba, 'decode', 1024, 1, 1100);
    expect(largestBufferBytes({ ...mamba, kvCacheFormat: 'f16' }, 'decode', 1024, 1, 1100)).toEqual(f32);
    expect(f32).toEqual({ bytes: 50000 * 256 * 4, what: 'the embedding table' });
    expect(largestBufferBytes({ ...mamba, weightFormat: 'f16' }, 'decode', 1024, 1, 1100)).toEqual({ bytes: 50000 * 256 * 2, what: 'the embedding table' });
  });
});
