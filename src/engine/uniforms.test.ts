import { describe, expect, it } from 'vitest';
import { defineUniforms } from './uniforms';

describe('uniform layouts', () => {
  it('places scalars back to back and pads the struct to 16 bytes', () => {
    const l = defineUniforms([
      ['M', 'u32'],
      ['scale', 'f32'],
      ['K', 'i32'],
    ] as const);
    expect(l.fields.map((f) => f.offset)).toEqual([0, 4, 8]);
    expect(l.size).toBe(16);
    const bytes = new DataView(l.pack({ M: 7, scale: 0.5, K: -3 }));
    expect(bytes.getUint32(0, true)).toBe(7);
    expect(bytes.getFloat32(4, true)).toBe(0.5);
    expect(bytes.getInt32(8, true)).toBe(-3);
  });

  it('aligns a vec3 to 16 bytes and lets a scalar fill its tail, as WGSL does', () => {
    const l = defineUniforms([
      ['a', 'f32'],
      ['v', 'vec3<f32>'],
      ['b', 'u32'],
      ['w', 'vec2<f32>'],
    ] as const);
    // a@0, v@16 (align 16, size 12), b@28 (fits the vec3's tail), w@32 (align 8); size 40 -> 48.
    expect(l.fields.map((f) => [f.name, f.offset])).toEqual([
      ['a', 0],
      ['v', 16],
      ['b', 28],
      ['w', 32],
    ]);
    expect(l.size).toBe(48);
    expect(l.wgsl('P')).toBe('struct P {\n  a: f32,\n  v: vec3<f32>,\n  b: u32,\n  w: vec2<f32>,\n}\n');
  });

  it('refuses a negative or fractional u32 and a missing field', () => {
    const l = defineUniforms([['n', 'u32']] as const);
    expect(() => l.pack({ n: -1 })).toThrow(/n must be a u32/);
    expect(() => l.pack({ n: 1.5 })).toThrow(/n must be a u32/);
    expect(() => l.pack({} as { n: number })).toThrow(/n has no value/);
  });
});
