// Tiled matmul: C[b] = A[b] (M×K) · op(B[b]), op(B) = B (K×N) or Bᵀ with B stored (N×K) (linear-layer
// weights). Each workgroup computes a TILE_M×TILE_N block of C; each invocation a 4×4 sub-block held in
// registers; A and B tiles of depth TILE_K pass through workgroup memory.
// Params (prepended by the host): M, K, N, lda (row stride of A: K, or wider when A is a column range
// of a wider matrix), aOffset (first column), batch strides, transposeB, accumulate.
// B (binding 2) and its reader load_b(i) -> f32 (element i; float32 or fp16 storage) are prepended by the
// host (src/kernels/weight-read.ts).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

const TILE_M = 64u;
const TILE_N = 64u;
const TILE_K = 16u;

var<workgroup> tileA: array<array<f32, 65>, 16>;   // [k][m], padded against bank conflicts
var<workgroup> tileB: array<array<f32, 65>, 16>;   // [k][n]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wid.z;
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  let baseA = b * P.batchStrideA + P.aOffset;
  let baseB = b * P.batchStrideB;
  let t = lid.y * 16u + lid.x;   // 0..255

  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; } }

  let numTiles = (P.K + TILE_K - 1u) / TILE_K;
  for (var kt = 0u; kt < numTiles; kt++) {
    let k0 = kt * TILE_K;
    // Load A tile (64 rows × 16 k): 1024 values, 4 per invocation.
    for (var r = 0u; r < 4u; r++) {
      let idx = t + r * 256u;
      let m = idx / TILE_K;
      let k = idx % TILE_K;
      let gm = row0 + m;
      let gk = k0 + k;
      var v = 0.0;
      if (gm < P.M && gk < P.K) { v = A[baseA + gm * P.lda + gk]; }
      tileA[k][m] = v;
    }
    // Load B tile (16 k × 64 n).
    for (var r = 0u; r < 4u; r++) {
      let idx = t + r * 256u;
      var k: u32; var n: u32;
      if (P.transposeB == 1u) { n = idx / TILE_K; k = idx % TILE_K; } else { k = idx / TILE_N; n = idx % TILE_N; }
      let gk = k0 + k;
      let gn = col0 + n;
      var v = 0.0;
      if (gk < P.K && gn < P.N) {
        if (P.transposeB == 1u) { v = load_b(baseB + gn * P.K + gk); } else { v = load_b(baseB + gk * P.N + gn); }
      }
      tileB[k][n] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < TILE_K; k++) {
      var a: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = tileA[k][lid.y + 16u * i]; }
      for (var j = 0u; j < 4u; j++) { bv[j] = tileB[k][lid.x + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(a[i], bv[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }

  let baseC = b * P.batchStrideC;
  for (var i = 0u; i < 4u; i++) {
    let gm = row0 + lid.y + 16u * i;
    if (gm >= P.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let gn = col0 + lid.x + 16u * j;
      if (gn < P.N) {
        let at = baseC + gm * P.N + gn;
        if (P.accumulate == 1u) { C[at] = C[at] + acc[i][j]; } else { C[at] = acc[i][j]; }
      }
    }
  }
}
