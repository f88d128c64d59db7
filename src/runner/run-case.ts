// Runs one safetensors case through the registry: the kernel runner CLI and the tests share this.

import type { Engine } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { RUNNER_OPS } from './registry';

export async function runCase(engine: Engine, inputBytes: Uint8Array, source: string): Promise<Uint8Array> {
  const { metadata, tensors } = readSafetensors(inputBytes, source);
  const opName = metadata.op;
  if (!opName) throw new KernelInputError(`${source}: __metadata__ has no 'op'`);
  const op = RUNNER_OPS[opName];
  if (!op) throw new KernelInputError(`unknown op '${opName}' (known ops: ${Object.keys(RUNNER_OPS).sort().join(', ')})`);
  const known = new Set([...op.inputs, ...(op.optional ?? [])]);
  for (const name of op.inputs) if (!tensors[name]) throw new KernelInputError(`${opName}: missing input '${name}'`);
  const extra = Object.keys(tensors).filter((n) => !known.has(n));
  if (extra.length) throw new KernelInputError(`${opName}: unexpected input${extra.length > 1 ? 's' : ''} ${extra.map((n) => `'${n}'`).join(', ')}`);
  const { op: _op, ...attrs } = metadata;
  void _op;
  const outputs = await op.run(engine, tensors, attrs);
  await engine.sync();
  return writeSafetensors(outputs, { op: opName });
}
