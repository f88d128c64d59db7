// Per-step pieces of the selective-scan kernels (sequential, chunk_local, chunk_output) that depend on
// pipeline constants the host prepends with this file:
//   POLY_ELEMS: how many state slots (the first ones, of 4·STATE_VEC4) take their decay exp2(dt·a) from
//     scan_exp2_poly (FMA and integer pipes) instead of exp2 (special-function unit): splitting the
//     decays between the two pipes balances their load.
//   SCAN_DIAG: benchmark-only diagnostics that give wrong results, to measure what the special-function
//     ops cost: bit 1: decays max(1 + dt·a, 0) (no exp); bit 2: step dt = |delta + bias| (no softplus);
//     bit 4: gate y·z (no silu). 0 in every real use.

// Decays of the state slots 4q .. 4q + 3: 2^x for x = dt·a.
fn scan_decay4(x: vec4<f32>, q: u32) -> vec4<f32> {
  if ((SCAN_DIAG & 1u) != 0u) { return max(vec4<f32>(1.0) + x, vec4<f32>(0.0)); }
  let first = 4u * q;
  if (first + 4u <= POLY_ELEMS) { return scan_exp2_poly(x, P.polyOnes); }
  if (first >= POLY_ELEMS) { return exp2(x); }
  let usePoly = vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(POLY_ELEMS);
  return select(exp2(x), scan_exp2_poly(x, P.polyOnes), usePoly);
}

fn scan_step(raw: f32, bias: f32) -> f32 {
  if ((SCAN_DIAG & 2u) != 0u) { return abs(raw + bias); }
  return scan_delta(raw, bias, P.deltaSoftplus);
}

fn scan_gate(z: f32) -> f32 {
  if ((SCAN_DIAG & 4u) != 0u) { return z; }
  return scan_silu(z);
}
