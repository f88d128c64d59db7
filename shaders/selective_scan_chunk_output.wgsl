// Chunked selective scan, pass 3 of 3: each invocation owns one (b, chunk, d), starts from the state
// entering its chunk (Carry, written by pass 2) and rescans the chunk, producing
// y = <h, C> + Dskip·u, times silu(z) when hasZ. Layouts as in selective_scan_sequential.wgsl:
// u, delta, y (B, L, D); B/C rows of bcRowStride; z rows of zRowStride at zOffset; Carry (B, numChunks, dState, D).

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> Delta: array<f32>;
@group(0) @binding(3) var<storage, read> Channel: array<f32>;
@group(0) @binding(4) var<storage, read> BC: array<f32>;
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

  var a: array<f32, STATE_SLOTS>;
  var h: array<f32, STATE_SLOTS>;
  for (var n = 0u; n < STATE_SLOTS; n++) {
    var an = 0.0;
    var hn = 0.0;
    if (n < N) {
      an = Channel[chanRow + n];
      hn = Carry[carryBase + n * P.dInner];
    }
    a[n] = an;
    h[n] = hn;
  }

  for (var t = t0; t < t1; t++) {
    let row = b * P.seqLen + t;
    let at = row * P.dInner + d;
    let dt = scan_delta(Delta[at], bias, P.deltaSoftplus);
    let uu = U[at];
    let du = dt * uu;
    let bBase = row * P.bcRowStride + P.bOffset + g * N;
    let cBase = row * P.bcRowStride + P.cOffset + g * N;
    var y = 0.0;
    for (var n = 0u; n < STATE_SLOTS; n++) {
      if (n < N) {
        h[n] = fma(exp(dt * a[n]), h[n], du * BC[bBase + n]);
        y = fma(h[n], BC[cBase + n], y);
      }
    }
    y = fma(dSkip, uu, y);
    if (P.hasZ == 1u) { y = y * scan_silu(Z[row * P.zRowStride + P.zOffset + d]); }
    Y[at] = y;
  }
}
