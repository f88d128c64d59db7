// Rotary position embedding in place, Llama convention (rotate-half): pair (e, e + E/2) of head h at
// position p = offset + l rotates by θ = p · base^(-2e/E):
//   x_e' = x_e cos θ - x_{e+E/2} sin θ,   x_{e+E/2}' = x_{e+E/2} cos θ + x_e sin θ.
// One invocation per (b, l, h, e < E/2), linearized as x + y·nx. Element (b, h, l, e) of X sits at
// b·sB + h·sH + l·sL + e, so (B, L, H·E) and (B, H, L, E) both work.

// sin and cos are computed here rather than with the builtins, whose precision Vulkan only bounds to
// 2^-11 absolute: Cody-Waite reduction by π/2 (three-part constant, exact for |θ| up to ~2^14 quadrants)
// and minimax polynomials on [-π/4, π/4], accurate to a few float32 ulps.

override WG: u32 = 256u;

const TWO_OVER_PI: f32 = 0.636619772367581343;
const PIO2_1: f32 = 1.5703125;
const PIO2_2: f32 = 4.837512969970703125e-4;
const PIO2_3: f32 = 7.549789948768648e-8;

/** (sin θ, cos θ). */
fn sinCos(theta: f32) -> vec2<f32> {
  let kf = round(theta * TWO_OVER_PI);
  let r = ((theta - kf * PIO2_1) - kf * PIO2_2) - kf * PIO2_3;
  let r2 = r * r;
  let s = fma(r * r2, fma(r2, fma(r2, fma(r2, 2.7557319e-6, -1.9841270e-4), 8.3333333e-3), -1.6666667e-1), r);
  let c = fma(r2, fma(r2, fma(r2, fma(r2, fma(r2, -2.7557319e-7, 2.4801587e-5), -1.3888889e-3), 4.1666667e-2), -0.5), 1.0);
  let q = i32(kf) & 3;
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}

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
  // As the references compute it in float32: inv_freq = base^(-2e/E), θ = position · inv_freq
  // (log2Base = log2(base), computed on the host in float64).
  let invFreq = exp2(-f32(2u * e) / f32(P.E) * P.log2Base);
  let theta = f32(P.offset + l) * invFreq;
  let sc = sinCos(theta);
  let s = sc.x;
  let c = sc.y;
  let at = b * P.sB + h * P.sH + l * P.sL + e;
  let x1 = X[at];
  let x2 = X[at + half];
  X[at] = x1 * c - x2 * s;
  X[at + half] = x2 * c + x1 * s;
}
