// Per-step pieces of the selective-scan kernels (sequential, chunk_local, chunk_output) that depend on
// pipeline constants the host prepends with this file:
//   POLY_ELEMS: how many state slots (the first ones, of 4·STATE_VEC4) take their decay exp2(dt·a) from
//     scan_exp2_poly (FMA and integer pipes) instead of exp2 (special-function unit): splitting the
//     decays between the two pipes balances their load.
//   SCAN_DIAG: benchmark-only diagnostics that give wrong results, to measure what the special-function
//     ops cost: bit 1: decays max(1 + dt·a, 0) (no exp); bit 2: step dt = |delta + bias| (no softplus);
//     bit 4: gate y·z (no silu). The chunked passes' bound finders: bit 32: B and C from registers (no
//     staged-row reads in the token loop); bit 64: delta, u, z made from the token index (scan_diag_token:
//     no loads); bit 128: the output pass stores no y (scan_diag_store). 0 in every real use.
//   GATE_FORM: how silu(z) is computed (ScanTuning.gate): 0 ('div'): z / (1 + exp(-z)), an exp2 and a
//     division (two special-function ops); 1 ('tanh'): h + h·tanh(h) with h = z/2 (one tanh, whose
//     accuracy is the platform's); 2 ('fma'): one exp2 of -|z|, the reciprocal of 1 + e in (1, 2] on the
//     FMA pipe.
//   SOFTPLUS_FORM: how softplus is computed (ScanTuning.softplus): 0 ('branch'): scan_softplus;
//     1 ('select'): the same values without branches (both small-e and log results computed, one kept).

// SCAN_DIAG 64: a token input made from its token index instead of the loaded value v.
fn scan_diag_token(v: f32, t: u32) -> f32 {
  if ((SCAN_DIAG & 64u) != 0u) { return f32(t & 15u) * 0.0625 - 0.5; }
  return v;
}

// SCAN_DIAG 128: whether the output pass stores y (always, outside that diagnostic).
fn scan_diag_store(y: f32) -> bool {
  return (SCAN_DIAG & 128u) == 0u || y == 1.2345e-30;
}

// Decay of state slot n: 2^x for x = dt·a.
fn scan_decay1(x: f32, n: u32) -> f32 {
  if (n < POLY_ELEMS) { return scan_exp2_poly1(x, P.polyOnes); }
  return exp2(x);
}

// Decays of the state slots 4q .. 4q + 3: 2^x for x = dt·a. A vec4 split between the two forms computes
// each slot in its own form only.
fn scan_decay4(x: vec4<f32>, q: u32) -> vec4<f32> {
  if ((SCAN_DIAG & 1u) != 0u) { return max(vec4<f32>(1.0) + x, vec4<f32>(0.0)); }
  let first = 4u * q;
  if (first + 4u <= POLY_ELEMS) { return scan_exp2_poly(x, P.polyOnes); }
  if (first >= POLY_ELEMS) { return exp2(x); }
  return vec4<f32>(scan_decay1(x.x, first), scan_decay1(x.y, first + 1u), scan_decay1(x.z, first + 2u), scan_decay1(x.w, first + 3u));
}

// softplus as scan_softplus (x <= 20 ? log1p(exp(x)) : x), branch-free.
fn scan_softplus_select(x: f32) -> f32 {
  let e = exp(min(x, 20.0));
  let l = select(log(1.0 + e), e - 0.5 * e * e, e < 1e-4);
  return select(l, x, x > 20.0);
}

fn scan_step(raw: f32, bias: f32) -> f32 {
  if ((SCAN_DIAG & 2u) != 0u) { return abs(raw + bias); }
  if (SOFTPLUS_FORM == 1u && P.deltaSoftplus == 1u) { return scan_softplus_select(raw + bias); }
  return scan_delta(raw, bias, P.deltaSoftplus);
}

// 1/v for v in [1, 2]: a quadratic minimax start (relative error 1/99), then two Newton steps
// (error (1/99)^4 ≈ 1e-8 before rounding; about 1e-7 in f32). FMA pipe only.
const RCP_C0: f32 = 2.1212121212121212;   // 70/33
const RCP_C1: f32 = -1.4545454545454546;  // -48/33
const RCP_C2: f32 = 0.32323232323232326;  // 32/99

fn scan_rcp_1_2(v: f32) -> f32 {
  var r = fma(fma(RCP_C2, v, RCP_C1), v, RCP_C0);
  r = fma(r, fma(-v, r, 1.0), r);
  return fma(r, fma(-v, r, 1.0), r);
}

// silu(z) = z·sigmoid(z) with one special-function op: e = exp(-|z|) in (0, 1] (0 for |z| beyond ~104),
// sigmoid(|z|) = 1 / (1 + e), sigmoid(-|z|) = e / (1 + e). Finite for every finite z.
fn scan_silu_fma(z: f32) -> f32 {
  let e = exp2(-abs(z) * LOG2E);
  let r = scan_rcp_1_2(1.0 + e);
  return z * select(e * r, r, z >= 0.0);
}

fn scan_gate(z: f32) -> f32 {
  if ((SCAN_DIAG & 4u) != 0u) { return z; }
  if (GATE_FORM == 1u) {
    let hz = 0.5 * z;
    return fma(hz, tanh(hz), hz);
  }
  if (GATE_FORM == 2u) { return scan_silu_fma(z); }
  return scan_silu(z);
}
