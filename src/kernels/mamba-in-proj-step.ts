// Mamba decode, first kernel of a layer (shaders/mamba_in_proj_step.wgsl): the optional pre-norm, in_proj
// and the causal conv step with SiLU in one dispatch. x (B, 1, d) -> out (B, 1, 2·Di) = [u | z], where
// u = silu(conv step(xz[..., :Di])) and z = xz[..., Di:], xz = RMSNorm?(x) · in_projᵀ; the conv state
// (B, W - 1, Di) is shifted in place.

import source from '../../shaders/mamba_in_proj_step.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { Tensor, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import { gemvConfig, gemvKey, gemvShaderCode, type GemvNorm } from './matmul';
import { formatsKey, storageFormatOf } from './storage-read';

const PARAMS = defineUniforms([
  ['M', 'u32'],
  ['K', 'u32'],
  ['N', 'u32'],
  ['lda', 'u32'],
  ['aOffset', 'u32'],
  ['eps', 'f32'],
  ['dInner', 'u32'],
  ['width', 'u32'],
] as const);

export interface MambaInProjStepArgs {
  /** (B, 1, d). */
  x: Tensor;
  norm?: GemvNorm;
  /** (2·Di, d). */
  inProj: Tensor;
  /** (Di, W). */
  convWeight: Tensor;
  /** (Di). */
  convBias: Tensor;
  /** (B, W - 1, Di), updated in place. */
  convState: Tensor;
  /** (B, 1, 2·Di). */
  out: Tensor;
}

export function mambaInProjStep(engine: Engine, p: MambaInProjStepArgs): Tensor {
  const d = p.x.shape[p.x.shape.length - 1];
  const batch = p.x.numel / d;
  if (p.inProj.shape.length !== 2 || p.inProj.shape[1] !== d || p.inProj.shape[0] % 2 !== 0) {
    throw new KernelInputError(`mamba_in_proj_step: in_proj ${shapeToString(p.inProj.shape)} must be (2·Di, d = ${d})`);
  }
  const N = p.inProj.shape[0];
  const Di = N / 2;
  if (p.convWeight.shape.length !== 2 || p.convWeight.shape[0] !== Di) throw new KernelInputError(`mamba_in_proj_step: conv weight ${shapeToString(p.convWeight.shape)} must be (Di = ${Di}, W)`);
  const W = p.convWeight.shape[1];
  if (p.convBias.numel !== Di) throw new KernelInputError(`mamba_in_proj_step: conv bias ${shapeToString(p.convBias.shape)} must be (Di = ${Di})`);
  if (p.convState.numel !== batch * (W - 1) * Di) throw new KernelInputError(`mamba_in_proj_step: conv state ${shapeToString(p.convState.shape)} must be (B, W - 1, Di) = (${batch}, ${W - 1}, ${Di})`);
  if (p.out.numel !== batch * N) throw new KernelInputError(`mamba_in_proj_step: out ${shapeToString(p.out.shape)} must hold (B, 2·Di) = (${batch}, ${N})`);
  if (p.norm && p.norm.weight.numel !== d) throw new KernelInputError(`mamba_in_proj_step: norm weight ${p.norm.weight} does not match d = ${d}`);
  const config = gemvConfig(engine, batch, d, N, d % 4 === 0);
  const format = storageFormatOf(p.inProj, 'mamba_in_proj_step');
  const pipeline = engine.pipeline(gemvKey('mamba_in_proj_step', config, `${p.norm ? ':norm' : ''}${formatsKey([format])}`), () => ({
    code: gemvShaderCode(config, PARAMS, source, [{ binding: 3, name: 'W', fn: 'load_w', format }]),
    constants: { NORM: p.norm ? 1 : 0 },
  }));
  engine.dispatch(
    () => `${p.norm ? 'rmsnorm+' : ''}mamba_in_proj_step(B=${batch}, d=${d}, Di=${Di}, W=${W})`,
    pipeline,
    [p.x, p.norm?.weight ?? p.x, p.inProj, p.convWeight, p.convBias, p.convState, p.out],
    grid1d(Math.ceil(N / config.rows), engine.report.limits.maxComputeWorkgroupsPerDimension),
    PARAMS.pack({ M: batch, K: d, N, lda: d, aOffset: 0, eps: p.norm?.eps ?? 0, dInner: Di, width: W }),
  );
  return p.out;
}
