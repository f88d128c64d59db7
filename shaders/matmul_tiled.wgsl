// Tiled matmul: C[b] = A[b] (M×K) · op(B[b]), op(B) = B (K×N) or Bᵀ with B stored (N×K) (linear-layer
// weights). Each workgroup of WG_X×WG_Y invocations computes a BM×BN block of C (BM = WG_Y·TM,
// BN = WG_X·TN); each invocation a TM×TN block held in registers, as TM/4 × TN/4 groups of 4×4 spread
// WG_Y·4 rows / WG_X·4 columns apart so that reads from workgroup memory are vec4 and conflict-free.
// K advances BK at a time through two workgroup buffers: the next K-tile is read from global memory
// into registers while the current one is multiplied, then stored into the other buffer (one barrier
// per K-tile).
// The host prepends the Params struct and the tile constants WG_X, WG_Y, TM, TN, BK (a size table chosen
// from the device limits). Params: M, K, N, lda (row stride of A: K, or wider when A is a column range
// of a wider matrix), aOffset (first column), batch strides, transposeB (also TRANSPOSE_B), accumulate.

// Bᵀ form: B is (N×K) and its tile is loaded like A's (rows along N); else B is (K×N).
override TRANSPOSE_B: bool = true;
// Every group of 4 along the loaded dimension (K for A and Bᵀ, N for B) is wholly in range or wholly
// out: K % 4 == 0 (and N % 4 == 0 when B is not transposed). Then one bound check covers 4 loads.
override ALIGNED: bool = false;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

const THREADS = WG_X * WG_Y;
const BM = WG_Y * TM;
const BN = WG_X * TN;
const BM4 = BM / 4u;
const BN4 = BN / 4u;
const TM4 = TM / 4u;
const TN4 = TN / 4u;
const BK4 = BK / 4u;
// vec4 groups each invocation loads per K-tile.
const LOADS_A = BM * BK4 / THREADS;
const LOADS_B = BN * BK4 / THREADS;

// [buffer][k][m/4] and [buffer][k][n/4]: A is stored transposed (k-major) so that both operands are read
// as vec4 along m and n.
var<workgroup> tileA: array<array<vec4<f32>, BM4 * BK>, 2>;
var<workgroup> tileB: array<array<vec4<f32>, BN4 * BK>, 2>;

// Four consecutive values of row `r` (< rows) of a row-major matrix, columns c..c+3 (c < cols),
// zero past the edges.
fn load4(src: u32, base: u32, stride: u32, r: u32, c: u32, rows: u32, cols: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (r >= rows || c >= cols) { return v; }
  let at = base + r * stride + c;
  if (ALIGNED || c + 3u < cols) {
    if (src == 0u) { v = vec4<f32>(A[at], A[at + 1u], A[at + 2u], A[at + 3u]); }
    else { v = vec4<f32>(B[at], B[at + 1u], B[at + 2u], B[at + 3u]); }
  } else {
    for (var i = 0u; i < 4u; i++) {
      if (c + i < cols) {
        if (src == 0u) { v[i] = A[at + i]; } else { v[i] = B[at + i]; }
      }
    }
  }
  return v;
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let b = wid.z;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let baseA = b * P.batchStrideA + P.aOffset;
  let baseB = b * P.batchStrideB;

  var acc: array<array<vec4<f32>, TN4>, TM>;
  for (var i = 0u; i < TM; i++) { for (var j = 0u; j < TN4; j++) { acc[i][j] = vec4<f32>(0.0); } }

  // Staging registers for the next K-tile.
  var ra: array<vec4<f32>, LOADS_A>;
  var rb: array<vec4<f32>, LOADS_B>;

  let numTiles = (P.K + BK - 1u) / BK;

  // A tile: BM rows × BK columns, as vec4 along K; idx → m = idx % BM, k4 = idx / BM (consecutive
  // invocations take consecutive rows, so the transposed stores into tileA do not conflict).
  // Bᵀ tile likewise with BN rows. B (K×N) tile: BK rows × BN columns, vec4 along N.
  for (var l = 0u; l < LOADS_A; l++) {
    let idx = t + l * THREADS;
    ra[l] = load4(0u, baseA, P.lda, row0 + idx % BM, (idx / BM) * 4u, P.M, P.K);
  }
  for (var l = 0u; l < LOADS_B; l++) {
    let idx = t + l * THREADS;
    if (TRANSPOSE_B) { rb[l] = load4(1u, baseB, P.K, col0 + idx % BN, (idx / BN) * 4u, P.N, P.K); }
    else { rb[l] = load4(1u, baseB, P.N, idx / BN4, col0 + (idx % BN4) * 4u, P.K, P.N); }
  }

  for (var kt = 0u; kt < numTiles; kt++) {
    let buf = kt & 1u;
    // Store the staged tile into this K-tile's buffer. It was last read two K-tiles ago, and every
    // invocation passed the previous iteration's barrier after finishing that, so one barrier per
    // K-tile is enough.
    for (var l = 0u; l < LOADS_A; l++) {
      let idx = t + l * THREADS;
      let m = idx % BM;
      let k = (idx / BM) * 4u;
      let v = ra[l];
      tileA[buf][(k + 0u) * BM4 + m / 4u][m % 4u] = v.x;
      tileA[buf][(k + 1u) * BM4 + m / 4u][m % 4u] = v.y;
      tileA[buf][(k + 2u) * BM4 + m / 4u][m % 4u] = v.z;
      tileA[buf][(k + 3u) * BM4 + m / 4u][m % 4u] = v.w;
    }
    for (var l = 0u; l < LOADS_B; l++) {
      let idx = t + l * THREADS;
      let v = rb[l];
      if (TRANSPOSE_B) {
        let n = idx % BN;
        let k = (idx / BN) * 4u;
        tileB[buf][(k + 0u) * BN4 + n / 4u][n % 4u] = v.x;
        tileB[buf][(k + 1u) * BN4 + n / 4u][n % 4u] = v.y;
        tileB[buf][(k + 2u) * BN4 + n / 4u][n % 4u] = v.z;
        tileB[buf][(k + 3u) * BN4 + n / 4u][n % 4u] = v.w;
      } else {
        tileB[buf][(idx / BN4) * BN4 + idx % BN4] = v;
      }
    }
    workgroupBarrier();

    // Read the next K-tile into registers; the loads are in flight while this one is multiplied.
    if (kt + 1u < numTiles) {
      let k0 = (kt + 1u) * BK;
      for (var l = 0u; l < LOADS_A; l++) {
        let idx = t + l * THREADS;
        ra[l] = load4(0u, baseA, P.lda, row0 + idx % BM, k0 + (idx / BM) * 4u, P.M, P.K);
      }
      for (var l = 0u; l < LOADS_B; l++) {
        let idx = t + l * THREADS;
        if (TRANSPOSE_B) { rb[l] = load4(1u, baseB, P.K, col0 + idx % BN, k0 + (idx / BN) * 4u, P.N, P.K); }
        else { rb[l] = load4(1u, baseB, P.N, k0 + idx / BN4, col0 + (idx % BN4) * 4u, P.K, P.N); }
      }
    }

    for (var k = 0u; k < BK; k++) {
      var a: array<vec4<f32>, TM4>;
      var bv: array<vec4<f32>, TN4>;
      for (var i = 0u; i < TM4; i++) { a[i] = tileA[buf][k * BM4 + lid.y + WG_Y * i]; }
      for (var j = 0u; j < TN4; j++) { bv[j] = tileB[buf][k * BN4 + lid.x + WG_X * j]; }
      for (var i = 0u; i < TM4; i++) {
        for (var ii = 0u; ii < 4u; ii++) {
          let av = vec4<f32>(a[i][ii]);
          for (var j = 0u; j < TN4; j++) { acc[i * 4u + ii][j] = fma(av, bv[j], acc[i * 4u + ii][j]); }
        }
      }
    }
  }

  let baseC = b * P.batchStrideC;
  for (var i = 0u; i < TM4; i++) {
    for (var ii = 0u; ii < 4u; ii++) {
      let gm = row0 + (lid.y + WG_Y * i) * 4u + ii;
      if (gm >= P.M) { continue; }
      for (var j = 0u; j < TN4; j++) {
        let v = acc[i * 4u + ii][j];
        let gn0 = col0 + (lid.x + WG_X * j) * 4u;
        for (var jj = 0u; jj < 4u; jj++) {
          let gn = gn0 + jj;
          if (gn < P.N) {
            let at = baseC + gm * P.N + gn;
            if (P.accumulate == 1u) { C[at] = C[at] + v[jj]; } else { C[at] = v[jj]; }
          }
        }
      }
    }
  }
}
