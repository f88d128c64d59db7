// Tiled matmul for linear-layer weights, vec4 throughout: C[b] = A[b] (M×K) · Wᵀ with W stored (N×K).
// Needs K, lda and aOffset multiples of 4 (the host checks), so every row of A and W is read as vec4.
// A workgroup of 16×16 invocations computes a (16·TM)×64 block of C; invocation (tx, ty) holds TM×4 outputs
// (rows ty·TM + i, columns 4·tx + j) as TM vec4 accumulators. A and W tiles of depth TK = 32 pass through
// workgroup memory laid out k-major as vec4 along m (tileA) and n (tileW), so each k step reads TM/4 + 1
// vec4 from workgroup memory for 4·TM fmas. The next K-tile's global loads are issued before the current
// tile's arithmetic (register double buffering): one barrier pair per K-tile.
// Params (prepended by the host): M, K, N, lda (row stride of A), aOffset (first column of A), batch
// strides, transposeB (1 here), accumulate.

override TM: u32 = 4u;          // rows per invocation: 4 or 8
const TK: u32 = 32u;
const TN: u32 = 64u;
const MAX_TM: u32 = 8u;
const TM_MAX_ROWS: u32 = 16u * MAX_TM;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> W: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

// tileA[k·(16·TM/4) + m/4] holds A(m .. m+3, k); tileW[k·16 + n/4] holds W(n .. n+3, k).
var<workgroup> tileA: array<vec4<f32>, TK * TM_MAX_ROWS / 4u>;
var<workgroup> tileW: array<vec4<f32>, TK * TN / 4u>;

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
  let tileM = 16u * TM;
  let b = wid.z;
  let row0 = wid.y * tileM;
  let col0 = wid.x * TN;
  let t = lid.y * 16u + lid.x;     // 0..255
  let k4s = P.K / 4u;
  let baseA4 = (b * P.batchStrideA + P.aOffset) / 4u;
  let lda4 = P.lda / 4u;
  let baseW4 = (b * P.batchStrideB) / 4u;
  let mVec = tileM / 4u;           // vec4 per k row of tileA

  // Global loads of one K-tile: the A tile is tileM rows × 8 vec4 (TM / 2 per invocation, up to 4); the W
  // tile 64 rows × 8 vec4 (2 per invocation). Slot s of invocation t: row (t + 256·s) / 8, vec4 column % 8.
  var ra: array<vec4<f32>, 4>;
  var rw: array<vec4<f32>, 2>;
  let aLoads = TM / 2u;

  var acc: array<vec4<f32>, MAX_TM>;
  for (var i = 0u; i < MAX_TM; i++) { acc[i] = vec4<f32>(0.0); }

  let numTiles = (k4s + 7u) / 8u;
  // Prefetch tile 0.
  for (var s = 0u; s < aLoads; s++) { ra[s] = fetch_a(t + 256u * s, 0u, row0, baseA4, lda4, k4s); }
  for (var s = 0u; s < 2u; s++) { rw[s] = fetch_w(t + 256u * s, 0u, col0, baseW4, k4s); }

  for (var kt = 0u; kt < numTiles; kt++) {
    // Registers -> workgroup memory, transposed to k-major.
    for (var s = 0u; s < aLoads; s++) {
      let idx = t + 256u * s;
      let m = idx / 8u;
      let k = (idx % 8u) * 4u;
      let v = ra[s];
      let slot = m / 4u;
      let lane = m % 4u;
      tileA[(k + 0u) * mVec + slot][lane] = v.x;
      tileA[(k + 1u) * mVec + slot][lane] = v.y;
      tileA[(k + 2u) * mVec + slot][lane] = v.z;
      tileA[(k + 3u) * mVec + slot][lane] = v.w;
    }
    for (var s = 0u; s < 2u; s++) {
      let idx = t + 256u * s;
      let n = idx / 8u;
      let k = (idx % 8u) * 4u;
      let v = rw[s];
      let slot = n / 4u;
      let lane = n % 4u;
      tileW[(k + 0u) * 16u + slot][lane] = v.x;
      tileW[(k + 1u) * 16u + slot][lane] = v.y;
      tileW[(k + 2u) * 16u + slot][lane] = v.z;
      tileW[(k + 3u) * 16u + slot][lane] = v.w;
    }
    workgroupBarrier();
    // Issue the next tile's global loads before this tile's arithmetic.
    if (kt + 1u < numTiles) {
      let kq0 = (kt + 1u) * 8u;
      for (var s = 0u; s < aLoads; s++) { ra[s] = fetch_a(t + 256u * s, kq0, row0, baseA4, lda4, k4s); }
      for (var s = 0u; s < 2u; s++) { rw[s] = fetch_w(t + 256u * s, kq0, col0, baseW4, k4s); }
    }
    for (var k = 0u; k < TK; k++) {
      let w = tileW[k * 16u + lid.x];
      for (var q = 0u; q < TM / 4u; q++) {
        let a = tileA[k * mVec + lid.y * (TM / 4u) + q];
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
}
