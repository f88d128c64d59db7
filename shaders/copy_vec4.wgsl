// Bandwidth probe: copies n4 vec4<f32> values (16 bytes each), one per invocation, src -> dst.
// Workgroups index as x + y·nx so large copies exceed 65535 workgroups.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Dst: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i < P.n4) { Dst[i] = Src[i]; }
}
