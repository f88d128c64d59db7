// Chunked selective scan, pass 3 of 3: each invocation owns one (b, chunk, d), starts from the state
// entering its chunk (Carry, written by pass 2) and rescans the chunk, producing
// y = <h, C> + Dskip·u, times silu(z) when hasZ. Layouts as in selective_scan_sequential.wgsl:
// u, delta, y (B, L, D); B/C rows of bcRowStride read through load_bc4; z rows of zRowStride at zOffset;
// Carry (B, numChunks, dState, D). State in registers as vec4 lanes (masked lanes stay 0).

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> Delta: array<f32>;
@group(0) @binding(3) var<storage, read> Channel: array<f32>;
@group(0) @binding(4) var<storage, read> BC: array<BcElem>;
@group(0) @binding(5) var<storage, read> Z: array<f32>;
@group(0) @binding(6) var<storage, read> Carry: array<f32>;
@group(0) @binding(7) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let wgIndex = wid.x + wid.y * nwg.x;
  let bc = wgIndex / P.dBlocks;             // b * numChunks + chunk
  let d = (wgIndex % P.dBlocks) * WG + lid.x;
  if (bc >= P.batch * P.numChunks || d >= P.dInner) { return; }
  let b = bc / P.numChunks;
  let chunk = bc % P.numChunks;
  let t0 = chunk * P.chunkLen;
  let t1 = min(t0 + P.chunkLen, P.seqLen);

  let N = P.dState;
  let chanRow = d * (N + 2u);
  let dSkip = Channel[chanRow + N];
  let bias = Channel[chanRow + N + 1u];
  let g = d / (P.dInner / P.groups);
  let carryBase = bc * N * P.dInner + d;

  // a = A·log2(e), so that exp(dt·A) = exp2(dt·a).
  var a: array<vec4<f32>, STATE_VEC4>;
  var h: array<vec4<f32>, STATE_VEC4>;
  for (var q = 0u; q < STATE_VEC4; q++) {
    var av = vec4<f32>(0.0);
    var hv = vec4<f32>(0.0);
    for (var k = 0u; k < 4u; k++) {
      let n = 4u * q + k;
      if (n < N) {
        av[k] = Channel[chanRow + n] * LOG2E;
        hv[k] = Carry[carryBase + n * P.dInner];
      }
    }
    a[q] = av;
    h[q] = hv;
  }

  for (var t = t0; t < t1; t++) {
    let row = b * P.seqLen + t;
    let at = row * P.dInner + d;
    let dt = scan_delta(Delta[at], bias, P.deltaSoftplus);
    let uu = U[at];
    let du = dt * uu;
    let bBase = row * P.bcRowStride + P.bOffset + g * N;
    let cBase = row * P.bcRowStride + P.cOffset + g * N;
    var y4 = vec4<f32>(0.0);
    for (var q = 0u; q < STATE_VEC4; q++) {
      h[q] = fma(exp2(dt * a[q]), h[q], du * load_bc4(bBase, q));
      y4 = fma(h[q], load_bc4(cBase, q), y4);
    }
    var y = fma(dSkip, uu, (y4.x + y4.y) + (y4.z + y4.w));
    if (P.hasZ == 1u) { y = y * scan_silu(Z[row * P.zRowStride + P.zOffset + d]); }
    Y[at] = y;
  }
}
