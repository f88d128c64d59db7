// Chunked selective scan, pass 3 of 3: each invocation owns one (b, chunk, d), starts from the state
// entering its chunk and rescans the chunk, producing y = <h, C> + Dskip·u, times silu(z) when hasZ.
// Layouts as in selective_scan_sequential.wgsl: u, delta, y (B, L, D); B/C rows of bcRowStride read
// through load_bc4; z rows of zRowStride at zOffset. State in registers as vec4 lanes (masked lanes stay 0).
// `Carry` is either the carry tensor (B, numChunks, dState, D) written by pass 2 (numChunks > 1), or, when
// the whole sequence is one chunk (numChunks == 1: this pass alone is the scan), the state tensor
// (B, D, dState): the initial state is read from it when hasInitState and the final state written to it
// when writeFinalState.
// Latency hiding as in selective_scan_chunk_local.wgsl: blocks of TB tokens whose B and C rows are staged
// in workgroup memory when STAGE_BC; delta, u, z loaded KU tokens at a time ahead of their steps.
// Decays, step sizes and the gate come from selective_scan_steps.wgsl (POLY_ELEMS of the decays through the
// polynomial exp2, the rest through exp2; SCAN_DIAG 0 outside benchmarks).

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> Delta: array<f32>;
@group(0) @binding(3) var<storage, read> Channel: array<f32>;
@group(0) @binding(4) var<storage, read> BC: array<BcElem>;
@group(0) @binding(5) var<storage, read> Z: array<f32>;
@group(0) @binding(6) var<storage, read_write> Carry: array<f32>;
@group(0) @binding(7) var<storage, read_write> Y: array<f32>;

// Row r of a staged block: B at [r·2·STATE_VEC4, +STATE_VEC4), C right after.
var<workgroup> sBC: array<vec4<f32>, SBC_LEN>;

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
  let dSkip = Channel[chanRow + N];
  let bias = Channel[chanRow + N + 1u];
  let groupSize = P.dInner / P.groups;
  let g = dc / groupSize;
  let gTile = d0 / groupSize;               // the tile's group (STAGE_BC: one group per tile)
  let single = P.numChunks == 1u;
  let stateBase = (b * P.dInner + dc) * N;  // single: State (B, D, N)
  let carryBase = bc * N * P.dInner + dc;   // otherwise: Carry (B, numChunks, N, D)

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
        if (!single) {
          hv[k] = Carry[carryBase + n * P.dInner];
        } else if (P.hasInitState == 1u) {
          hv[k] = Carry[stateBase + n];
        }
      }
    }
    a[q] = av;
    h[q] = hv;
  }

  for (var tb = t0; tb < t1; tb += TB) {
    let rows = min(TB, t1 - tb);
    if (STAGE_BC) {
      workgroupBarrier();
      for (var i = lid; i < TB * 2u * STATE_VEC4; i += WG) {
        let r = i / (2u * STATE_VEC4);
        let j = i % (2u * STATE_VEC4);
        var v = vec4<f32>(0.0);
        if (r < rows) {
          let rowBase = (b * P.seqLen + tb + r) * P.bcRowStride + gTile * N;
          if (j < STATE_VEC4) {
            v = load_bc4(rowBase + P.bOffset, j);
          } else {
            v = load_bc4(rowBase + P.cOffset, j - STATE_VEC4);
          }
        }
        sBC[i] = v;
      }
      workgroupBarrier();
    }
    for (var r0 = 0u; r0 < rows; r0 += KU) {
      var dl: array<f32, KU>;
      var uu: array<f32, KU>;
      var zz: array<f32, KU>;
      for (var k = 0u; k < KU; k++) {
        let row = b * P.seqLen + tb + min(r0 + k, rows - 1u);
        let at = row * P.dInner + dc;
        dl[k] = Delta[at];
        uu[k] = U[at];
        if (P.hasZ == 1u) { zz[k] = Z[row * P.zRowStride + P.zOffset + dc]; }
      }
      for (var k = 0u; k < KU; k++) {
        let r = r0 + k;
        if (r < rows) {
          let row = b * P.seqLen + tb + r;
          let dt = scan_step(dl[k], bias);
          let du = dt * uu[k];
          let bBase = row * P.bcRowStride + P.bOffset + g * N;
          let cBase = row * P.bcRowStride + P.cOffset + g * N;
          var y4 = vec4<f32>(0.0);
          for (var q = 0u; q < STATE_VEC4; q++) {
            var bq: vec4<f32>;
            var cq: vec4<f32>;
            if (STAGE_BC) {
              bq = sBC[r * 2u * STATE_VEC4 + q];
              cq = sBC[r * 2u * STATE_VEC4 + STATE_VEC4 + q];
            } else {
              bq = load_bc4(bBase, q);
              cq = load_bc4(cBase, q);
            }
            h[q] = fma(scan_decay4(dt * a[q], q), h[q], du * bq);
            y4 = fma(h[q], cq, y4);
          }
          var y = fma(dSkip, uu[k], (y4.x + y4.y) + (y4.z + y4.w));
          if (P.hasZ == 1u) { y = y * scan_gate(zz[k]); }
          if (valid) { Y[row * P.dInner + d] = y; }
        }
      }
    }
  }

  if (single && P.writeFinalState == 1u && valid) {
    for (var q = 0u; q < STATE_VEC4; q++) {
      for (var k = 0u; k < 4u; k++) {
        let n = 4u * q + k;
        if (n < N) { Carry[stateBase + n] = h[q][k]; }
      }
    }
  }
}
