// Tiled matmul for linear-layer weights, vec4 throughout: C[b] = A[b] (M×K) · Wᵀ with W stored (N×K).
// Needs K, lda and aOffset multiples of 4 (the host checks), so every row of A and W is read as vec4.
// A workgroup of 16×16 invocations computes a (16·TM)×(64·TC) block of C; invocation (tx, ty) holds
// TM×4·TC outputs (rows ty·TM + i; columns 4·tx + 64·c + j for c < TC) as TM·TC vec4 accumulators.
// A and W tiles of depth TK (16 or 32) pass through workgroup memory laid out k-major as vec4 along m
// (tileA) and n (tileW), so each k step reads TM/4 + TC vec4 from workgroup memory for 4·TM·TC fmas. When
// PREFETCH, the next K-tile's global loads are issued before the current tile's arithmetic (register
// double buffering); otherwise each K-tile is loaded just before it is stored to workgroup memory (fewer
// live registers). One barrier pair per K-tile.
// Bank conflicts: each invocation loads a vec4 along k (four consecutive k of one row of A or W) and
// stores its four values to four k rows of the tile. Tile row r holds k = 4·(r % KQ) + r / KQ, so that
// the KQ = TK / 4 invocations that loaded one row's K-tile write KQ consecutive tile rows, and rows are
// padded by PAD vec4 so that the row stride is PAD·(odd) vec4 with PAD·KQ = 8: one store instruction's
// 32 invocations (KQ vec4 columns of k times 32 / KQ rows of m or n) then write 32 different banks. Both
// tiles use the same order of k and the k loop reads rows 0 .. TK - 1: the sum over k is the same.
// Workgroup tiles are indexed [row][column] with every index a loop counter with constant bounds or a
// local invocation id (and products and sums of them), so that a compiler's bounds clamps, where it can
// prove them unneeded (Dawn's robustness with integer range analysis, as in Chrome), drop out of the
// inner loop.
// Host constants: TM (rows per invocation, 4 or 8), TC (vec4 columns per invocation, 1 or 2), TK (16 or
// 32), PREFETCH, and residency_enter / residency_leave (benchmarks: resident workgroups in a counter at
// binding 4; empty otherwise).
// Params (prepended by the host): M, K, N, lda (row stride of A), aOffset (first column of A), batch
// strides, transposeB (1 here), accumulate.
// W (binding 2) and its reader load_w4(i) -> vec4<f32> (elements 4i .. 4i + 3; float32 or fp16 storage)
// are prepended by the host (src/kernels/weight-read.ts).

const KQ: u32 = TK / 4u;          // vec4 along k per row of a K-tile
const PAD: u32 = 8u / KQ;         // padding vec4 per tile row
const ROWS_PER_PASS: u32 = 256u / KQ;  // rows of A or W one load slot of all invocations covers
const TN: u32 = 64u * TC;
const TQ: u32 = TM / 4u;          // vec4 of A per invocation and k
const ROWS4: u32 = 4u * TM;       // vec4 per k row of tileA (16·TM rows)
const COLS4: u32 = 16u * TC;      // vec4 per k row of tileW (64·TC columns)
const A_LOADS: u32 = TM * KQ / 16u;  // vec4 of the A tile each invocation loads per K-tile
const W_LOADS: u32 = TC * KQ / 4u;   // vec4 of the W tile each invocation loads per K-tile

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

// tileA[r][m / 4] holds A(m .. m+3, k) and tileW[r][n / 4] holds W(n .. n+3, k) for k = 4·(r % KQ) + r / KQ;
// the last PAD vec4 of each row are padding.
var<workgroup> tileA: array<array<vec4<f32>, ROWS4 + PAD>, TK>;
var<workgroup> tileW: array<array<vec4<f32>, COLS4 + PAD>, TK>;

// Load slot idx of a K-tile starting at vec4 column kq0: row idx / KQ, vec4 column kq0 + idx % KQ (zero
// outside the matrix).
fn fetch_a(idx: u32, kq0: u32, row0: u32, baseA4: u32, lda4: u32, k4s: u32) -> vec4<f32> {
  let m = idx / KQ;
  let kq = kq0 + idx % KQ;
  if (row0 + m < P.M && kq < k4s) { return A[baseA4 + (row0 + m) * lda4 + kq]; }
  return vec4<f32>(0.0);
}

fn fetch_w(idx: u32, kq0: u32, col0: u32, baseW4: u32, k4s: u32) -> vec4<f32> {
  let n = idx / KQ;
  let kq = kq0 + idx % KQ;
  if (col0 + n < P.N && kq < k4s) { return load_w4(baseW4 + (col0 + n) * k4s + kq); }
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

  // Global loads of one K-tile: the A tile is 16·TM rows × KQ vec4 (A_LOADS per invocation); the W tile
  // 64·TC rows × KQ vec4 (W_LOADS per invocation). Slot s of invocation t: row (t + 256·s) / KQ, vec4
  // column % KQ.
  var ra: array<vec4<f32>, A_LOADS>;
  var rw: array<vec4<f32>, W_LOADS>;

  var acc: array<array<vec4<f32>, TC>, TM>;
  for (var i = 0u; i < TM; i++) {
    for (var c = 0u; c < TC; c++) { acc[i][c] = vec4<f32>(0.0); }
  }

  let numTiles = (k4s + KQ - 1u) / KQ;
  if (t == 0u) { residency_enter(); }
  // Prefetch tile 0.
  if (PREFETCH) {
    for (var s = 0u; s < A_LOADS; s++) { ra[s] = fetch_a(t + 256u * s, 0u, row0, baseA4, lda4, k4s); }
    for (var s = 0u; s < W_LOADS; s++) { rw[s] = fetch_w(t + 256u * s, 0u, col0, baseW4, k4s); }
  }

  // This invocation's loads hold k = 4·kj .. 4·kj + 3 of rows (or columns) mr + ROWS_PER_PASS·s: they go
  // to tile rows kj, KQ + kj, 2·KQ + kj, 3·KQ + kj.
  let kj = t % KQ;
  let mr = t / KQ;
  for (var kt = 0u; kt < numTiles; kt++) {
    if (!PREFETCH) {
      for (var s = 0u; s < A_LOADS; s++) { ra[s] = fetch_a(t + 256u * s, kt * KQ, row0, baseA4, lda4, k4s); }
      for (var s = 0u; s < W_LOADS; s++) { rw[s] = fetch_w(t + 256u * s, kt * KQ, col0, baseW4, k4s); }
    }
    for (var s = 0u; s < A_LOADS; s++) {
      let m = mr + ROWS_PER_PASS * s;
      let v = ra[s];
      tileA[kj][m / 4u][m % 4u] = v.x;
      tileA[KQ + kj][m / 4u][m % 4u] = v.y;
      tileA[2u * KQ + kj][m / 4u][m % 4u] = v.z;
      tileA[3u * KQ + kj][m / 4u][m % 4u] = v.w;
    }
    for (var s = 0u; s < W_LOADS; s++) {
      let n = mr + ROWS_PER_PASS * s;
      let v = rw[s];
      tileW[kj][n / 4u][n % 4u] = v.x;
      tileW[KQ + kj][n / 4u][n % 4u] = v.y;
      tileW[2u * KQ + kj][n / 4u][n % 4u] = v.z;
      tileW[3u * KQ + kj][n / 4u][n % 4u] = v.w;
    }
    workgroupBarrier();
    // Issue the next tile's global loads before this tile's arithmetic.
    if (PREFETCH && kt + 1u < numTiles) {
      let kq0 = (kt + 1u) * KQ;
      for (var s = 0u; s < A_LOADS; s++) { ra[s] = fetch_a(t + 256u * s, kq0, row0, baseA4, lda4, k4s); }
      for (var s = 0u; s < W_LOADS; s++) { rw[s] = fetch_w(t + 256u * s, kq0, col0, baseW4, k4s); }
    }
    for (var r = 0u; r < TK; r++) {
      var w: array<vec4<f32>, TC>;
      for (var c = 0u; c < TC; c++) { w[c] = tileW[r][lid.x + 16u * c]; }
      for (var q = 0u; q < TQ; q++) {
        let a = tileA[r][lid.y * TQ + q];
        for (var c = 0u; c < TC; c++) {
          acc[4u * q + 0u][c] = fma(vec4<f32>(a.x), w[c], acc[4u * q + 0u][c]);
          acc[4u * q + 1u][c] = fma(vec4<f32>(a.y), w[c], acc[4u * q + 1u][c]);
          acc[4u * q + 2u][c] = fma(vec4<f32>(a.z), w[c], acc[4u * q + 2u][c]);
          acc[4u * q + 3u][c] = fma(vec4<f32>(a.w), w[c], acc[4u * q + 3u][c]);
        }
      }
    }
    workgroupBarrier();
  }

  let baseC = b * P.batchStrideC;
  for (var i = 0u; i < TM; i++) {
    let gm = row0 + lid.y * TM + i;
    if (gm >= P.M) { continue; }
    for (var c = 0u; c < TC; c++) {
      for (var j = 0u; j < 4u; j++) {
        let gn = col0 + 64u * c + lid.x * 4u + j;
        if (gn < P.N) {
          let at = baseC + gm * P.N + gn;
          if (P.accumulate == 1u) { C[at] = C[at] + acc[i][c][j]; } else { C[at] = acc[i][c][j]; }
        }
      }
    }
  }
  if (t == 0u) { residency_leave(); }
}
