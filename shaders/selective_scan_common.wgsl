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
