// Runner ops for the foundation kernels: matmul (a @ b, or a @ bᵀ with transpose_b) and rms_norm.

import { matmul } from '../kernels/matmul';
import { rmsnorm } from '../kernels/rmsnorm';
import { attrBool, attrNumber, requireInput, toF32, type RunnerOp } from './op';

export const matmulOp: RunnerOp = {
  inputs: ['a', 'b'],
  async run(engine, inputs, attrs) {
    const a = requireInput('matmul', inputs, 'a');
    const b = requireInput('matmul', inputs, 'b');
    const transposeB = attrBool('matmul', attrs, 'transpose_b', false);
    const aT = engine.upload(toF32(a), a.shape, 'activations', 'a');
    const bT = engine.upload(toF32(b), b.shape, 'weights', 'b');
    const out = matmul(engine, aT, bT, { transposeB });
    return { out: { shape: [...out.shape], data: await engine.read(out) } };
  },
};

export const rmsNormOp: RunnerOp = {
  inputs: ['x', 'weight'],
  async run(engine, inputs, attrs) {
    const x = requireInput('rms_norm', inputs, 'x');
    const w = requireInput('rms_norm', inputs, 'weight', 1);
    const eps = attrNumber('rms_norm', attrs, 'eps', 1e-5);
    const out = rmsnorm(engine, engine.upload(toF32(x), x.shape, 'activations', 'x'), engine.upload(toF32(w), w.shape, 'weights', 'w'), eps);
    return { out: { shape: [...out.shape], data: await engine.read(out) } };
  },
};
