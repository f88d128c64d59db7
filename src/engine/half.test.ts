// fp16 storage: rounding to the nearest half (ties to even), the flush of magnitudes below 2^-14, the range
// refused, and packing two halves per u32 in the order unpack2x16float reads them.
import { describe, expect, it } from 'vitest';
import { HALF_MAX, HALF_MIN_NORMAL, HalfRangeError, fromHalfBits, halfStorageBytes, packHalves, roundArrayToHalf, roundToHalf, toHalfBits, unpackHalves } from './half';
import { normalArray } from '../testing/random';

describe('fp16 conversion', () => {
  it('gives the IEEE bits of known values', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(0.5)).toBe(0x3800);
    expect(toHalfBits(HALF_MAX)).toBe(0x7bff);
    expect(toHalfBits(HALF_MIN_NORMAL)).toBe(0x0400);
    expect(toHalfBits(0.1)).toBe(0x2e66);
    expect(fromHalfBits(0x2e66)).toBe(0.0999755859375);
    expect(toHalfBits(-0)).toBe(0x8000);
  });

  it('rounds ties to even and carries into the exponent', () => {
    expect(roundToHalf(1 + 2 ** -11)).toBe(1); // halfway between 1 and 1 + 2^-10: even is 1
    expect(roundToHalf(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // halfway: even is 1 + 2·2^-10
    expect(roundToHalf(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10); // just above halfway
    expect(roundToHalf(2 - 2 ** -12)).toBe(2); // mantissa overflow carries into the exponent
    expect(roundToHalf(65519)).toBe(HALF_MAX); // below the halfway point to 65536
  });

  it('every normal half converts back to itself', () => {
    for (let h = 0; h < 0x10000; h++) {
      const e = (h >>> 10) & 0x1f;
      if (e === 0 || e === 31) continue;
      expect(toHalfBits(fromHalfBits(h))).toBe(h);
    }
  });

  it('random values round to a nearest half', () => {
    const xs = normalArray(20000, 11, 3);
    for (const x of xs) {
      const r = roundToHalf(x);
      if (Math.abs(x) < HALF_MIN_NORMAL) {
        expect(r).toBe(0);
        continue;
      }
      // The spacing of halves around r: 2^(exponent - 10).
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(r))) - 10);
      expect(Math.abs(x - r)).toBeLessThanOrEqual(ulp / 2);
    }
  });

  it('stores magnitudes below 2^-14 as signed zero', () => {
    expect(toHalfBits(5e-5)).toBe(0);
    expect(toHalfBits(-5e-5)).toBe(0x8000);
    expect(toHalfBits(1e-30)).toBe(0);
  });

  it('refuses values fp16 cannot hold, naming the index', () => {
    expect(() => toHalfBits(65520)).toThrow(HalfRangeError);
    expect(() => toHalfBits(Infinity)).toThrow(HalfRangeError);
    expect(() => toHalfBits(NaN)).toThrow(HalfRangeError);
    expect(() => packHalves([1, 2, -1e6])).toThrow(/-1000000 at index 2/);
    expect(() => roundArrayToHalf([0, 7e4])).toThrow(/index 1/);
  });

  it('packs element 2i in the low half of word i and 2i + 1 in the high half', () => {
    const words = packHalves([1, -2, 0.5]);
    expect(Array.from(words)).toEqual([0xc0003c00, 0x00003800]);
    expect(Array.from(unpackHalves(words, 3))).toEqual([1, -2, 0.5]);
    expect(halfStorageBytes(3)).toBe(8);
    expect(halfStorageBytes(4)).toBe(8);
    const xs = normalArray(101, 4);
    expect(Array.from(unpackHalves(packHalves(xs), xs.length))).toEqual(Array.from(roundArrayToHalf(xs)));
  });
});
