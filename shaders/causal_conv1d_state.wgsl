// Conv state after a sequence, in place: one invocation per (b, d) rewrites its column of the conv state
// (B, W - 1, D) (row j = the input W - 1 - j tokens back) with the last W - 1 inputs of x:
//   new(j) = x(b, L - (W - 1) + j, d) when that position is in the sequence, else old(j + L) (zeros when
//   hasInitState is 0). Rows are written in increasing j and old(j + L) has a larger row index than any
//   row written so far, so reading and writing the same buffer is safe. x rows of xRowStride at xOffset.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> State: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  let D = P.channels;
  if (i >= P.batch * D) { return; }
  let d = i % D;
  let b = i / D;
  let past = P.width - 1u;
  for (var j = 0u; j < past; j++) {
    // Position L - past + j, unsigned: in the sequence when L + j >= past.
    var v = 0.0;
    if (P.seqLen + j >= past) {
      v = X[(b * P.seqLen + P.seqLen + j - past) * P.xRowStride + P.xOffset + d];
    } else if (P.hasInitState == 1u) {
      v = State[(b * past + j + P.seqLen) * D + d];
    }
    State[(b * past + j) * D + d] = v;
  }
}
