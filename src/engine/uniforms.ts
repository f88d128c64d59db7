// Uniform struct layouts computed from one table of WGSL type sizes and alignments (WGSL spec,
// "Alignment and Size"), never counted by hand. The same table produces the WGSL struct declaration that
// is prepended to each kernel's shader, so the TypeScript packing and the WGSL struct cannot drift apart.

export type WgslScalarType = 'u32' | 'i32' | 'f32' | 'vec2<u32>' | 'vec2<f32>' | 'vec3<u32>' | 'vec3<f32>' | 'vec4<u32>' | 'vec4<f32>';

const TYPE_INFO: Record<WgslScalarType, { size: number; align: number; components: number; kind: 'u32' | 'i32' | 'f32' }> = {
  u32: { size: 4, align: 4, components: 1, kind: 'u32' },
  i32: { size: 4, align: 4, components: 1, kind: 'i32' },
  f32: { size: 4, align: 4, components: 1, kind: 'f32' },
  'vec2<u32>': { size: 8, align: 8, components: 2, kind: 'u32' },
  'vec2<f32>': { size: 8, align: 8, components: 2, kind: 'f32' },
  'vec3<u32>': { size: 12, align: 16, components: 3, kind: 'u32' },
  'vec3<f32>': { size: 12, align: 16, components: 3, kind: 'f32' },
  'vec4<u32>': { size: 16, align: 16, components: 4, kind: 'u32' },
  'vec4<f32>': { size: 16, align: 16, components: 4, kind: 'f32' },
};

export interface UniformField {
  name: string;
  type: WgslScalarType;
  offset: number;
}

export interface UniformLayout<K extends string> {
  fields: readonly UniformField[];
  /** Struct size in bytes, rounded up to the struct's alignment (and to 16 for uniform address space). */
  size: number;
  /** The WGSL declaration `struct NAME { ... }`. */
  wgsl(structName?: string): string;
  /** Byte offset of a field (e.g. to declare it positional at dispatch). */
  offsetOf(name: K): number;
  /** Packs values into a new ArrayBuffer of `size` bytes. Vectors take arrays. */
  pack(values: Record<K, number | readonly number[]>): ArrayBuffer;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

export function defineUniforms<K extends string>(spec: readonly (readonly [K, WgslScalarType])[]): UniformLayout<K> {
  let offset = 0;
  let maxAlign = 4;
  const fields: UniformField[] = [];
  for (const [name, type] of spec) {
    const info = TYPE_INFO[type];
    offset = roundUp(offset, info.align);
    fields.push({ name, type, offset });
    offset += info.size;
    maxAlign = Math.max(maxAlign, info.align);
  }
  const infos = fields.map((f) => TYPE_INFO[f.type]);
  // Uniform buffers need 16-byte struct alignment (WGSL uniform address space layout rules).
  const size = Math.max(16, roundUp(offset, Math.max(16, maxAlign)));
  return {
    fields,
    size,
    offsetOf(name) {
      const f = fields.find((x) => x.name === name);
      if (!f) throw new Error(`uniform layout has no field ${name}`);
      return f.offset;
    },
    wgsl(structName = 'Params') {
      return `struct ${structName} {\n${fields.map((f) => `  ${f.name}: ${f.type},`).join('\n')}\n}\n`;
    },
    pack(values) {
      const buf = new ArrayBuffer(size);
      const view = new DataView(buf);
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i];
        const info = infos[i];
        const raw = values[f.name as K];
        if (raw === undefined) throw new Error(`uniform field ${f.name} has no value`);
        if (typeof raw === 'number') {
          if (info.components !== 1) throw new Error(`uniform field ${f.name} (${f.type}) needs ${info.components} values, got 1`);
          setComponent(view, f, info.kind, f.offset, raw);
        } else {
          if (raw.length !== info.components) throw new Error(`uniform field ${f.name} (${f.type}) needs ${info.components} values, got ${raw.length}`);
          for (let c = 0; c < raw.length; c++) setComponent(view, f, info.kind, f.offset + 4 * c, raw[c]);
        }
      }
      return buf;
    },
  };
}

function setComponent(view: DataView, f: UniformField, kind: 'u32' | 'i32' | 'f32', at: number, v: number): void {
  if (kind === 'f32') view.setFloat32(at, v, true);
  else if (kind === 'i32') view.setInt32(at, v, true);
  else {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`uniform field ${f.name} must be a u32, got ${v}`);
    view.setUint32(at, v, true);
  }
}
