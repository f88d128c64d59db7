// IEEE binary16 ("half", fp16) storage for float32 data: the engine keeps weights as halves, two per u32
// (element 2i in the low 16 bits of word i, 2i + 1 in the high bits, as WGSL's unpack2x16float reads them).
//
// Conversion rounds to the nearest half, ties to even. Magnitudes below the smallest normal half (2^-14,
// about 6.1e-5) are stored as zero of the same sign: WGSL lets unpack2x16float flush subnormal halves, so
// storing none makes every GPU read the same values (and the float64 twins see exactly what the GPU sees).
// A value that is not finite or rounds beyond the largest half (65504) cannot be stored: HalfRangeError.

export const HALF_MAX = 65504;
export const HALF_MIN_NORMAL = 2 ** -14;

export class HalfRangeError extends Error {
  constructor(
    readonly index: number,
    readonly value: number,
  ) {
    super(`value ${value} at index ${index} does not fit fp16 (finite, at most ${HALF_MAX} in magnitude)`);
    this.name = 'HalfRangeError';
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The half bits of x (rounded to float32 first, as the data is float32), or -1 when it does not fit. */
function halfBitsOrFail(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  if (exp === 0xff) return -1; // inf or NaN
  let e = exp - 127 + 15;
  if (e <= 0) return sign; // below 2^-14 (float32 subnormals included): signed zero
  let m = (bits & 0x7fffff) >>> 13;
  const rest = bits & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1) === 1)) {
    m += 1;
    if (m === 0x400) {
      m = 0;
      e += 1;
    }
  }
  if (e >= 31) return -1;
  return sign | (e << 10) | m;
}

/** The half bits of x; throws HalfRangeError (index as given) when x does not fit. */
export function toHalfBits(x: number, index = 0): number {
  const h = halfBitsOrFail(x);
  if (h < 0) throw new HalfRangeError(index, x);
  return h;
}

/** The first value of data that fp16 cannot hold, as a HalfRangeError (its index and value), or null. */
export function findOutsideHalf(data: ArrayLike<number>): HalfRangeError | null {
  for (let i = 0; i < data.length; i++) if (halfBitsOrFail(data[i]) < 0) return new HalfRangeError(i, data[i]);
  return null;
}

/** The value of half bits h. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** x as stored in fp16 and read back (a float32-exact number); throws HalfRangeError when it does not fit. */
export function roundToHalf(x: number): number {
  return fromHalfBits(toHalfBits(x));
}

/** data rounded to fp16 as the GPU will read it (a new array); throws HalfRangeError naming the index. */
export function roundArrayToHalf(data: ArrayLike<number>): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = fromHalfBits(toHalfBits(data[i], i));
  return out;
}

/** data packed as halves, two per u32 (an odd count pads the last word's high half with zero). */
export function packHalves(data: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(Math.ceil(data.length / 2));
  for (let i = 0; i < data.length; i += 2) {
    const lo = toHalfBits(data[i], i);
    const hi = i + 1 < data.length ? toHalfBits(data[i + 1], i + 1) : 0;
    out[i >> 1] = (lo | (hi << 16)) >>> 0;
  }
  return out;
}

/** The values of packed halves (count of them). */
export function unpackHalves(words: Uint32Array, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = fromHalfBits((words[i >> 1] >>> (i & 1 ? 16 : 0)) & 0xffff);
  return out;
}

/** Bytes a tensor of n values takes stored as halves (whole u32 words). */
export function halfStorageBytes(n: number): number {
  return 4 * Math.ceil(n / 2);
}
