// Elementwise ops over n values, one invocation per value; the op is an override constant so each op is
// its own pipeline. Unary: out = f(a). Binary: out = a ∘ b[i % bLen] (b broadcast over a's leading dims,
// for biases and per-channel scales). Dispatch is 2-D (x + y·nx) so n can exceed 65535 workgroups.
// Softplus follows the references: x <= 20 ? log1p(exp(x)) : x.

override OP: u32 = 0u;          // 0 silu, 1 sigmoid, 2 softplus, 3 add, 4 mul, 5 copy, 6 exp, 7 mul_silu (a * silu(b))
override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // n, bLen
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;

fn sigmoid(x: f32) -> f32 {
  // Stable for large |x|: never exp of a large positive number.
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

fn softplus(x: f32) -> f32 {
  if (x <= 20.0) {
    // log1p(exp(x)) without losing precision when exp(x) is tiny.
    let e = exp(x);
    if (e < 1e-4) { return e - 0.5 * e * e; }
    return log(1.0 + e);
  }
  return x;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= P.n) { return; }
  let a = A[i];
  var r: f32;
  switch OP {
    case 0u: { r = a * sigmoid(a); }
    case 1u: { r = sigmoid(a); }
    case 2u: { r = softplus(a); }
    case 3u: { r = a + B[i % P.bLen]; }
    case 4u: { r = a * B[i % P.bLen]; }
    case 6u: { r = exp(a); }
    case 7u: { let g = B[i % P.bLen]; r = a * g * sigmoid(g); }
    default: { r = a; }
  }
  O[i] = r;
}
