// safetensors read and write (no file system here: bytes in, bytes out, so the page can use it too).
// Format: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
// then the raw little-endian tensor bytes. Reads F32, F64, F16, BF16, I32, I64 (as numbers); writes F32/F64.

export interface HostTensor {
  shape: number[];
  data: Float32Array | Float64Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Record<string, HostTensor>;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

export function readSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  if (bytes.byteLength < 8) throw new Error(`${source}: too short to be a safetensors file (${bytes.byteLength} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8) throw new Error(`${source}: header length ${headerLen} runs past the end of the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + headerLen;
  const tensors: Record<string, HostTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [start, end] = data_offsets;
    if (end > bytes.byteLength - base || start > end) throw new Error(`${source}: tensor ${name} has data offsets out of the file`);
    const n = numel(shape);
    const dv = new DataView(bytes.buffer, bytes.byteOffset + base + start, end - start);
    const width = { F32: 4, F64: 8, F16: 2, BF16: 2, I32: 4, I64: 8 }[dtype];
    if (!width) throw new Error(`${source}: tensor ${name} has dtype ${dtype}; supported: F32, F64, F16, BF16, I32, I64`);
    if ((end - start) !== n * width) throw new Error(`${source}: tensor ${name} holds ${end - start} bytes, shape ${JSON.stringify(shape)} of ${dtype} needs ${n * width}`);
    let data: Float32Array | Float64Array;
    if (dtype === 'F64') {
      data = new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = dv.getFloat64(8 * i, true);
    } else {
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        if (dtype === 'F32') data[i] = dv.getFloat32(4 * i, true);
        else if (dtype === 'F16') data[i] = f16ToF32(dv.getUint16(2 * i, true));
        else if (dtype === 'BF16') {
          const tmp = new DataView(new ArrayBuffer(4));
          tmp.setUint32(0, dv.getUint16(2 * i, true) << 16, true);
          data[i] = tmp.getFloat32(0, true);
        } else if (dtype === 'I32') data[i] = dv.getInt32(4 * i, true);
        else data[i] = Number(dv.getBigInt64(8 * i, true));
      }
    }
    tensors[name] = { shape: [...shape], data };
  }
  return { metadata, tensors };
}

export function writeSafetensors(tensors: Record<string, HostTensor>, metadata: Record<string, string> = {}, dtype: 'F32' | 'F64' = 'F32'): Uint8Array {
  const width = dtype === 'F32' ? 4 : 8;
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name];
    if (t.data.length !== numel(t.shape)) throw new Error(`tensor ${name}: ${t.data.length} values for shape ${JSON.stringify(t.shape)}`);
    const size = t.data.length * width;
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name].data;
    for (let i = 0; i < d.length; i++, at += width) {
      if (dtype === 'F32') view.setFloat32(at, d[i], true);
      else view.setFloat64(at, d[i], true);
    }
  }
  return out;
}
