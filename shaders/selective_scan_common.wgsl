// Helpers shared by the selective-scan shaders (sequential, chunk_local, chunk_output) and the decode
// state update. The host prepends this file (after the Params struct and the STATE_VEC4 constant).
// Softplus follows the references (CUDA kernel): x <= 20 ? log1p(exp(x)) : x.

const LOG2E: f32 = 1.4426950408889634;

fn scan_softplus(x: f32) -> f32 {
  if (x <= 20.0) {
    // log1p(exp(x)) without losing precision when exp(x) is tiny.
    let e = exp(x);
    if (e < 1e-4) { return e - 0.5 * e * e; }
    return log(1.0 + e);
  }
  return x;
}

fn scan_silu(x: f32) -> f32 {
  // x / (1 + exp(-x)); for x << 0 exp(-x) overflows to +inf and the quotient is a finite -0.
  return x / (1.0 + exp(-x));
}

// The effective step size: raw + bias, through softplus when `softplus` is 1.
fn scan_delta(raw: f32, bias: f32, softplus: u32) -> f32 {
  let v = raw + bias;
  if (softplus == 1u) { return scan_softplus(v); }
  return v;
}

// 2^x on the FMA and integer pipes, without the special-function unit (exp2 is one SFU op per element;
// this is about a dozen full-rate ops). x is clamped to [-126, 126], so results stay normal numbers: an x
// below -126 gives 2^-126 where exp2 gives a subnormal or 0, one above 126 gives 2^126. Relative error
// at most 1.6e-7 (about 2 ulp) on [-126, 126].
//   k = round(x): t = x + 1.5·2^23 lies in [2^23, 2^24), where floats are integers, so the addition rounds
//   x to the nearest integer and the low mantissa bits of t hold 0x400000 + k.
//   f = x - k in [-0.5, 0.5] (exact); 2^f from a degree-5 polynomial (minimax for relative error, 1 at 0).
//   2^x = 2^f · 2^k: k added to the exponent bits of 2^f. (bits(t) << 23) is k << 23 modulo 2^32, since
//   bits(1.5·2^23) << 23 wraps to 0.
// `ones` must hold 0xFFFFFFFF, read from a uniform: t's bits pass through an AND with it before
// k = t - 1.5·2^23 is taken back as a float. An optimizer that reassociates floating-point additions would
// otherwise fold (x + M) - M to x (f = 0, the result 2^x rounded to a power of two); through the AND with
// a value it cannot see, it cannot. No float/int conversion, floor or round (quarter rate on some GPUs).
const EXP2_ROUND: f32 = 12582912.0;                     // 1.5·2^23
const EXP2_P1: f32 = 0.6931470036506653;
const EXP2_P2: f32 = 0.24022242426872253;
const EXP2_P3: f32 = 0.05550756677985191;
const EXP2_P4: f32 = 0.009671629406511784;
const EXP2_P5: f32 = 0.0013254256919026375;

fn scan_exp2_poly1(x: f32, ones: u32) -> f32 {
  let xc = clamp(x, -126.0, 126.0);
  let tb = bitcast<u32>(xc + EXP2_ROUND) & ones;
  let k = bitcast<f32>(tb) - EXP2_ROUND;
  let f = xc - k;
  var p = fma(EXP2_P5, f, EXP2_P4);
  p = fma(p, f, EXP2_P3);
  p = fma(p, f, EXP2_P2);
  p = fma(p, f, EXP2_P1);
  p = fma(p, f, 1.0);
  return bitcast<f32>(bitcast<u32>(p) + (tb << 23u));
}

fn scan_exp2_poly(x: vec4<f32>, ones: u32) -> vec4<f32> {
  return vec4<f32>(scan_exp2_poly1(x.x, ones), scan_exp2_poly1(x.y, ones), scan_exp2_poly1(x.z, ones), scan_exp2_poly1(x.w, ones));
}
