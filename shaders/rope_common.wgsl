// Rotary position embedding helpers shared by rope.wgsl and rope_kv_append.wgsl.
// sin and cos are computed here rather than with the builtins, whose precision Vulkan only bounds to
// 2^-11 absolute: Cody-Waite reduction by π/2 (three-part constant, exact for |θ| up to ~2^14 quadrants)
// and minimax polynomials on [-π/4, π/4], accurate to a few float32 ulps.

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

// Angle of pair e (< E/2) at position p, as the references compute it in float32: inv_freq = base^(-2e/E),
// θ = p · inv_freq (log2Base = log2(base), computed on the host in float64).
fn ropeAngle(position: u32, e: u32, E: u32, log2Base: f32) -> f32 {
  let invFreq = exp2(-f32(2u * e) / f32(E) * log2Base);
  return f32(position) * invFreq;
}
