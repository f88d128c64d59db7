// Rotary position embedding in place, Llama convention (rotate-half): pair (e, e + E/2) of head h at
// position p = offset + l rotates by θ = p · base^(-2e/E):
//   x_e' = x_e cos θ - x_{e+E/2} sin θ,   x_{e+E/2}' = x_{e+E/2} cos θ + x_e sin θ.
// One invocation per (b, l, h, e < E/2), linearized as x + y·nx. Element (b, h, l, e) of X sits at
// b·sB + h·sH + l·sL + e, so (B, L, H·E) and (B, H, L, E) both work.

// sinCos and ropeAngle: rope_common.wgsl (the host prepends it).

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // B, H, L, E, offset, sB, sH, sL, log2Base
@group(0) @binding(1) var<storage, read_write> X: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let half = P.E / 2u;
  let n = gid.x + gid.y * nwg.x * WG;
  if (n >= P.B * P.L * P.H * half) { return; }
  let e = n % half;
  let h = (n / half) % P.H;
  let l = (n / (half * P.H)) % P.L;
  let b = n / (half * P.H * P.L);
  let sc = sinCos(ropeAngle(P.offset + l, e, P.E, P.log2Base));
  let s = sc.x;
  let c = sc.y;
  let at = b * P.sB + h * P.sH + l * P.sL + e;
  let x1 = X[at];
  let x2 = X[at + half];
  X[at] = x1 * c - x2 * s;
  X[at + half] = x2 * c + x1 * s;
}
