// Tiled matmul for linear-layer weights, vec4 throughout: C[b] = A[b] (M×K) · Wᵀ with W stored (N×K).
// Needs K, lda and aOffset multiples of 4 (the host checks), so every row of A and W is read as vec4.
// A workgroup of 16×16 invocations computes a (16·TM)×64 block of C; invocation (tx, ty) holds TM×4 outputs
// (rows ty·TM + i, columns 4·tx + j) as TM vec4 accumulators. A and W tiles of depth TK = 32 pass through
// workgroup memory laid out k-major as vec4 along m (tileA) and n (tileW), so each k step reads TM/4 + 1
// vec4 from workgroup memory for 4·TM fmas. When PREFETCH, the next K-tile's global loads are issued
// before the current tile's arithmetic (register double buffering); otherwise each K-tile is loaded just
// before it is stored to workgroup memory (fewer live registers). One barrier pair per K-tile.
// Workgroup tiles are indexed [k][column] with every index a loop counter with constant bounds or a
// local invocation id (and products and sums of them), so that a compiler's bounds clamps, where it can
// prove them unneeded (Dawn's robustness with integer range analysis, as in Chrome), drop out of the
// inner loop.
// Host constants: TM (rows per invocation, 4 or 8), PREFETCH, and residency_enter / residency_leave
// (benchmarks: resident workgroups in a counter at binding 4; empty otherwise).
// Params (prepended by the host): M, K, N, lda (row stride of A), aOffset (first column of A), batch
// strides, transposeB (1 here), accumulate.

const TK: u32 = 32u;
const TN: u32 = 64u;
const TQ: u32 = TM / 4u;        // vec4 of A per invocation and k
const ROWS4: u32 = 4u * TM;     // vec4 per k row of tileA (16·TM rows)
const A_LOADS: u32 = TM / 2u;   // vec4 of the A tile each invocation loads per K-tile

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> W: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

// tileA[k][m / 4] holds A(m .. m+3, k); tileW[k][n / 4] holds W(n .. n+3, k).
var<workgroup> tileA: array<array<vec4<f32>, ROWS4>, TK>;
var<workgroup> tileW: array<array<vec4<f32>, 16>, TK>;

// Load slot idx of a K-tile starting at vec4 column kq0: row idx / 8, vec4 column kq0 + idx % 8 (zero
// outside the matrix).
fn fetch_a(idx: u32, kq0: u32, row0: u32, baseA4: u32, lda4: u32, k4s: u32) -> vec4<f32> {
  let m = idx / 8u;
  let kq = kq0 + idx % 8u;
  if (row0 + m < P.M && kq < k4s) { return A[baseA4 + (row0 + m) * lda4 + kq]; }
  return vec4<f32>(0.0);
}

fn fetch_w(idx: u32, kq0: u32, col0: u32, baseW4: u32, k4s: u32) -> vec4<f32> {
  let n = idx / 8u;
  let kq = kq0 + idx % 8u;
  if (col0 + n < P.N && kq < k4s) { return W[baseW4 + (col0 + n) * k4s + kq]; }
  return vec4<f32>(0.0);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wid.z;
  let row0 = wid.y * 16u * TM;
  let col0 = wid.x * TN;
  let t = lid.y * 16u + lid.x;     // 0..255
  let k4s = P.K / 4u;
  let baseA4 = (b * P.batchStrideA + P.aOffset) / 4u;
  let lda4 = P.lda / 4u;
  let baseW4 = (b * P.batchStrideB) / 4u;

  // Global loads of one K-tile: the A tile is 16·TM rows × 8 vec4 (A_LOADS per invocation); the W tile 64
  // rows × 8 vec4 (2 per invocation). Slot s of invocation t: row (t + 256·s) / 8, vec4 column % 8.
  var ra: array<vec4<f32>, A_LOADS>;
  var rw: array<vec4<f32>, 2>;

  var acc: array<vec4<f32>, TM>;
  for (var i = 0u; i < TM; i++) { acc[i] = vec4<f32>(0.0); }

  let numTiles = (k4s + 7u) / 8u;
  if (t == 0u) { residency_enter(); }
  // Prefetch tile 0.
  if (PREFETCH) {
    for (var s = 0u; s < A_LOADS; s++) { ra[s] = fetch_a(t + 256u * s, 0u, row0, baseA4, lda4, k4s); }
    for (var s = 0u; s < 2u; s++) { rw[s] = fetch_w(t + 256u * s, 0u, col0, baseW4, k4s); }
  }

  for (var kt = 0u; kt < numTiles; kt++) {
    if (!PREFETCH) {
      for (var s = 0u; s < A_LOADS; s++) { ra[s] = fetch_a(t + 256u * s, kt * 8u, row0, baseA4, lda4, k4s); }
      for (var s = 0u; s < 2u; s++) { rw[s] = fetch_w(t + 256u * s, kt * 8u, col0, baseW4, k4s); }
    }
    // Registers -> workgroup memory, transposed to k-major: slot s holds rows 32·s + lid.y·2 + lid.x / 8
    // of its tile (t / 8 + 32·s), k = 4·(lid.x % 8) .. + 3.
    let k0 = 4u * (lid.x % 8u);
    let mr = t / 8u;                 // 0..31
    for (var s = 0u; s < A_LOADS; s++) {
      let m = mr + 32u * s;
      let v = ra[s];
      tileA[k0 + 0u][m / 4u][m % 4u] = v.x;
      tileA[k0 + 1u][m / 4u][m % 4u] = v.y;
      tileA[k0 + 2u][m / 4u][m % 4u] = v.z;
      tileA[k0 + 3u][m / 4u][m % 4u] = v.w;
    }
    for (var s = 0u; s < 2u; s++) {
      let n = mr + 32u * s;
      let v = rw[s];
      tileW[k0 + 0u][n / 4u][n % 4u] = v.x;
      tileW[k0 + 1u][n / 4u][n % 4u] = v.y;
      tileW[k0 + 2u][n / 4u][n % 4u] = v.z;
      tileW[k0 + 3u][n / 4u][n % 4u] = v.w;
    }
    workgroupBarrier();
    // Issue the next tile's global loads before this tile's arithmetic.
    if (PREFETCH && kt + 1u < numTiles) {
      let kq0 = (kt + 1u) * 8u;
      for (var s = 0u; s < A_LOADS; s++) { ra[s] = fetch_a(t + 256u * s, kq0, row0, baseA4, lda4, k4s); }
      for (var s = 0u; s < 2u; s++) { rw[s] = fetch_w(t + 256u * s, kq0, col0, baseW4, k4s); }
    }
    for (var k = 0u; k < TK; k++) {
      let w = tileW[k][lid.x];
      for (var q = 0u; q < TQ; q++) {
        let a = tileA[k][lid.y * TQ + q];
        acc[4u * q + 0u] = fma(vec4<f32>(a.x), w, acc[4u * q + 0u]);
        acc[4u * q + 1u] = fma(vec4<f32>(a.y), w, acc[4u * q + 1u]);
        acc[4u * q + 2u] = fma(vec4<f32>(a.z), w, acc[4u * q + 2u]);
        acc[4u * q + 3u] = fma(vec4<f32>(a.w), w, acc[4u * q + 3u]);
      }
    }
    workgroupBarrier();
  }

  let baseC = b * P.batchStrideC;
  for (var i = 0u; i < TM; i++) {
    let gm = row0 + lid.y * TM + i;
    if (gm >= P.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let gn = col0 + lid.x * 4u + j;
      if (gn < P.N) {
        let at = baseC + gm * P.N + gn;
        if (P.accumulate == 1u) { C[at] = C[at] + acc[i][j]; } else { C[at] = acc[i][j]; }
      }
    }
  }
  if (t == 0u) { residency_leave(); }
}
