// Chunked selective scan, pass 1 of 3: each invocation owns one (b, chunk, d) and scans its chunk of
// chunkLen tokens from a zero state, with the dState-long state in registers (vec4 lanes, masked lanes
// stay 0). It writes the chunk's end state to Carry (B, numChunks, dState, D) (D fastest, so writes
// coalesce across d) and the chunk's sum of step sizes to DeltaSum (B, numChunks, D): the chunk's total
// decay of state slot n is exp(A(d,n)·sum). Layouts as in selective_scan_sequential.wgsl: u, delta
// (B, L, D); B rows of bcRowStride at bOffset read through load_bc4; channel params (D, dState + 2) =
// [A, Dskip, deltaBias]. Workgroups index (b·numChunks + c)·dBlocks + dBlock; a workgroup covers WG
// channels of one chunk.
// Latency hiding: the chunk is walked in blocks of TB tokens. When STAGE_BC (the workgroup's channels
// share one B/C group), the block's B rows are loaded once per workgroup into workgroup memory (SBC_LEN
// vec4) and read from there by every invocation; delta and u are loaded KU tokens at a time, all loads
// issued before the KU recurrence steps that use them. The host prepends TB, KU, STAGE_BC and SBC_LEN.
// Decays, step sizes and the gate come from selective_scan_steps.wgsl (POLY_ELEMS of the decays through the
// polynomial exp2, the rest through exp2; SCAN_DIAG 0 outside benchmarks).

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> Delta: array<f32>;
@group(0) @binding(3) var<storage, read> Channel: array<f32>;
@group(0) @binding(4) var<storage, read> BC: array<BcElem>;
@group(0) @binding(5) var<storage, read_write> Carry: array<f32>;
@group(0) @binding(6) var<storage, read_write> DeltaSum: array<f32>;

var<workgroup> sB: array<vec4<f32>, SBC_LEN>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wgIndex = wid.x + wid.y * nwg.x;
  let bc = wgIndex / P.dBlocks;             // b * numChunks + chunk
  if (bc >= P.batch * P.numChunks) { return; }
  let d0 = (wgIndex % P.dBlocks) * WG;
  let d = d0 + lid;
  let valid = d < P.dInner;
  let dc = min(d, P.dInner - 1u);           // invocations past D compute on a real channel, store nothing
  let b = bc / P.numChunks;
  let chunk = bc % P.numChunks;
  let t0 = chunk * P.chunkLen;
  let t1 = min(t0 + P.chunkLen, P.seqLen);

  let N = P.dState;
  let chanRow = dc * (N + 2u);
  let bias = Channel[chanRow + N + 1u];
  let groupSize = P.dInner / P.groups;
  let g = dc / groupSize;
  let gTile = d0 / groupSize;               // the tile's group (STAGE_BC: one group per tile)

  // a = A·log2(e), so that exp(dt·A) = exp2(dt·a).
  var a: array<vec4<f32>, STATE_VEC4>;
  var h: array<vec4<f32>, STATE_VEC4>;
  for (var q = 0u; q < STATE_VEC4; q++) {
    var av = vec4<f32>(0.0);
    for (var k = 0u; k < 4u; k++) {
      let n = 4u * q + k;
      if (n < N) { av[k] = Channel[chanRow + n] * LOG2E; }
    }
    a[q] = av;
    h[q] = vec4<f32>(0.0);
  }

  var deltaSum = 0.0;
  for (var tb = t0; tb < t1; tb += TB) {
    let rows = min(TB, t1 - tb);
    if (STAGE_BC) {
      workgroupBarrier();
      for (var i = lid; i < TB * STATE_VEC4; i += WG) {
        let r = i / STATE_VEC4;
        var v = vec4<f32>(0.0);
        if (r < rows) { v = load_bc4((b * P.seqLen + tb + r) * P.bcRowStride + P.bOffset + gTile * N, i % STATE_VEC4); }
        sB[i] = v;
      }
      workgroupBarrier();
    }
    for (var r0 = 0u; r0 < rows; r0 += KU) {
      var dl: array<f32, KU>;
      var uu: array<f32, KU>;
      for (var k = 0u; k < KU; k++) {
        let at = (b * P.seqLen + tb + min(r0 + k, rows - 1u)) * P.dInner + dc;
        dl[k] = Delta[at];
        uu[k] = U[at];
      }
      for (var k = 0u; k < KU; k++) {
        let r = r0 + k;
        if (r < rows) {
          let dt = scan_step(dl[k], bias);
          let du = dt * uu[k];
          deltaSum += dt;
          let bBase = (b * P.seqLen + tb + r) * P.bcRowStride + P.bOffset + g * N;
          for (var q = 0u; q < STATE_VEC4; q++) {
            var bq: vec4<f32>;
            if (STAGE_BC) { bq = sB[r * STATE_VEC4 + q]; } else { bq = load_bc4(bBase, q); }
            h[q] = fma(scan_decay4(dt * a[q], q), h[q], du * bq);
          }
        }
      }
    }
  }

  if (!valid) { return; }
  let carryBase = bc * N * P.dInner + d;
  for (var q = 0u; q < STATE_VEC4; q++) {
    for (var k = 0u; k < 4u; k++) {
      let n = 4u * q + k;
      if (n < N) { Carry[carryBase + n * P.dInner] = h[q][k]; }
    }
  }
  DeltaSum[bc * P.dInner + d] = deltaSum;
}
