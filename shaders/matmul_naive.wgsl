// Naive matmul, one invocation per output element, every operand read from global memory: the baseline
// that the tiled kernel is measured against. Same contract as matmul_tiled.wgsl (B read through load_b).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  let b = gid.z;
  if (m >= P.M || n >= P.N) { return; }
  let baseA = b * P.batchStrideA + P.aOffset + m * P.lda;
  let baseB = b * P.batchStrideB;
  var acc = 0.0;
  for (var k = 0u; k < P.K; k++) {
    var bv: f32;
    if (P.transposeB == 1u) { bv = load_b(baseB + n * P.K + k); } else { bv = load_b(baseB + k * P.N + n); }
    acc = fma(A[baseA + k], bv, acc);
  }
  let at = b * P.batchStrideC + m * P.N + n;
  if (P.accumulate == 1u) { C[at] = C[at] + acc; } else { C[at] = acc; }
}
