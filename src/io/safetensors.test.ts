import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from './safetensors';

describe('safetensors', () => {
  it('round-trips F32 and F64 tensors with metadata', () => {
    const bytes = writeSafetensors({ a: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) }, b: { shape: [1], data: Float32Array.from([-0.25]) } }, { op: 'x', flag: 'true' });
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ op: 'x', flag: 'true' });
    expect(back.tensors.a.shape).toEqual([2, 3]);
    expect(Array.from(back.tensors.a.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
    const f64 = readSafetensors(writeSafetensors({ c: { shape: [2], data: Float64Array.from([Math.PI, 1e-300]) } }, {}, 'F64'));
    expect(f64.tensors.c.data).toBeInstanceOf(Float64Array);
    expect(f64.tensors.c.data[0]).toBe(Math.PI);
  });

  it('aligns the data section to 8 bytes as the format asks', () => {
    const bytes = writeSafetensors({ x: { shape: [1], data: Float32Array.from([1]) } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
  });

  it('names the problem in a truncated or malformed file', () => {
    const good = writeSafetensors({ x: { shape: [4], data: new Float32Array(4) } });
    expect(() => readSafetensors(good.subarray(0, 4), 'f.safetensors')).toThrow(/f.safetensors: too short/);
    expect(() => readSafetensors(good.subarray(0, good.length - 4), 'f.safetensors')).toThrow(/tensor x has data offsets out of the file/);
    const bad = good.slice();
    bad[9] = 0x7b; // corrupt the JSON
    bad[10] = 0x7b;
    expect(() => readSafetensors(bad, 'f.safetensors')).toThrow(/header is not valid JSON/);
  });
});
