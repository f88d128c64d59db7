// The compute engine: one GPUDevice with its allocator, pipeline cache, dispatch recorder and error handling.
// It imports nothing from the UI or the DOM and takes the `GPU` object as a parameter, so the same code runs
// in the page (navigator.gpu) and in Node (the `webgpu` package, see node-gpu.ts).
//
// Work is recorded with dispatch() and sent with submit(): all dispatches of a batch go into one compute
// pass (WebGPU orders dispatches in a pass and makes each one's writes visible to the next), with one
// uniform arena for the batch's parameter blocks. sync() waits for the GPU and rethrows validation and
// out-of-memory errors as GpuKernelError naming the kernels and sizes of that batch.
// capture() keeps the dispatches that a piece of code records, with their bind groups and uniform bytes
// resolved once, and replay() appends them to a later batch without running that code again (see
// capture.ts): a decode step that does not change between tokens costs only the WebGPU calls per token.
// Uniform fields that hold a position (declared by the kernel at dispatch) are rewritten per replay.

import { BufferAllocator, STORAGE_USAGE, type MemoryCategory, type MemorySnapshot } from './allocator';
import { GpuDeviceLostError, GpuKernelError, GpuLimitError, KernelInputError, WebGpuUnavailableError } from './errors';
import { Tensor, dtypeBytes, numel, shapeToString, type TensorDtype } from './tensor';
import { HalfRangeError, packHalves, unpackHalves } from './half';
import { CapturedWork, type PositionalFields, type RecordedDispatch } from './capture';

export { CapturedWork } from './capture';

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: { shaderF16: boolean; subgroups: boolean; timestampQuery: boolean };
  /** Smallest subgroup size the adapter may use (GPUAdapterInfo.subgroupMinSize); 0 when it does not say. */
  subgroupMinSize: number;
  limits: {
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupSizeX: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
}

export interface EngineOptions {
  /** Ask for a high-performance adapter (default true). */
  highPerformance?: boolean;
  /** Features to leave off even when present (tests use this to exercise fallbacks). */
  disableFeatures?: GPUFeatureName[];
}

export interface ShaderSpec {
  code: string;
  entryPoint?: string;
  constants?: Record<string, number>;
}

export type Binding = GPUBuffer | Tensor | { buffer: GPUBuffer; offset?: number; size?: number };

/**
 * A dispatch's name for error messages, e.g. `matmul(M=3, K=5, N=7)`, or a function that builds it: names
 * are read only when an error is reported (and a few for the command encoder's label), so kernels that
 * record every token can pass `() => \`...\`` and skip formatting the string.
 */
export type KernelLabel = string | (() => string);

export function kernelName(label: KernelLabel): string {
  return typeof label === 'string' ? label : label();
}

/**
 * One level of the bind-group cache: a trie keyed by numbers (pipeline id, uniform buffer id, offset and
 * size, then each binding's buffer id, offset and size), so a lookup builds no key.
 */
interface BindGroupNode {
  next: Map<number, BindGroupNode> | null;
  group: GPUBindGroup | null;
}

const BIND_GROUP_CACHE_CAP = 4096;

const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

const UNIFORM_ALIGN = 256;
/** Dispatches profileBatch takes at once (two timestamps each; a query set holds at most 4096). */
const PROFILE_MAX_DISPATCHES = 2048;

export class Engine {
  readonly alloc: BufferAllocator;
  readonly lost: Promise<GpuDeviceLostError>;
  private lostError: GpuDeviceLostError | null = null;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private recorded: RecordedDispatch[] = [];
  private recordedLabels: KernelLabel[] = [];
  private uniformArena = new Uint8Array(4096);
  private uniformUsed = 0;
  private uniformBuffer: GPUBuffer | null = null;
  private scopeOpen = false;
  private pendingScopes: Promise<void>[] = [];
  private uncaptured: GPUError[] = [];
  private destroyAfterSubmit: GPUBuffer[] = [];
  private recycleAfterSubmit: GPUBuffer[] = [];
  // Bind groups are cached by pipeline, uniform slot and buffers: a decode step records the same
  // dispatches on the same buffers every token, so after the first token no bind group is created.
  private bindGroups: BindGroupNode = { next: null, group: null };
  private bindGroupCount = 0;
  private readonly layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();
  private readonly objectIds = new WeakMap<object, number>();
  private nextObjectId = 1;
  private timestamps: { querySet: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer } | null = null;
  private profile: { capacity: number; querySet: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer } | null = null;
  // Buffer copies encoded after the batch's compute pass (copyAfterDispatches).
  private copies: { src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; size: number }[] = [];
  private readonly copiedBuffers = new Set<GPUBuffer>();
  // The capture in progress (capture()): its dispatches, their uniform bytes and the buffers they bind.
  private capturing: CaptureInProgress | null = null;
  // Buffers bound by live captures, with the number of captures binding each; a pinned buffer whose tensor
  // is released waits in `held` (with whether the allocator pools it) until the last capture is released.
  private readonly pins = new Map<GPUBuffer, number>();
  private readonly held = new Map<GPUBuffer, boolean>();
  // Counts submitted (or discarded) batches: a capture with positional fields replays once per batch.
  private batchIndex = 0;
  /** Dispatches recorded since the engine was created (for "dispatches per token" reports). */
  dispatchCount = 0;
  /** Bind groups created so far (the rest of the dispatches found theirs in the cache). */
  bindGroupsCreated = 0;
  /**
   * Host milliseconds spent in submit() so far, by phase: writing the uniform arena, encoding the pass (setPipeline, setBindGroup,
   * dispatchWorkgroups calls into WebGPU, bind-group lookups), finishing the command buffer, and
   * queue.submit. Benchmarks difference these around the work they time.
   */
  readonly submitHostMs = { upload: 0, encode: 0, finish: 0, queue: 0 };

  private constructor(
    readonly device: GPUDevice,
    readonly report: AdapterReport,
  ) {
    this.alloc = new BufferAllocator(device, report.limits);
    this.lost = device.lost.then((info) => {
      this.lostError = new GpuDeviceLostError(
        `The GPU device was lost (${info.reason || 'unknown'}): ${info.message || 'no message'}. Measurements so far are kept; a new device is needed to continue.`,
        info.reason ?? 'unknown',
      );
      return this.lostError;
    });
    device.addEventListener?.('uncapturederror', (ev) => {
      this.uncaptured.push((ev as GPUUncapturedErrorEvent).error);
    });
  }

  static async create(gpu: GPU | undefined | null, options: EngineOptions = {}): Promise<Engine> {
    if (!gpu) throw new WebGpuUnavailableError('This environment has no WebGPU (navigator.gpu is missing).');
    const adapter = await gpu.requestAdapter({ powerPreference: options.highPerformance === false ? 'low-power' : 'high-performance' });
    if (!adapter) throw new WebGpuUnavailableError('WebGPU is present but no GPU adapter was found (the GPU may be blocklisted or disabled).');
    const disabled = new Set(options.disableFeatures ?? []);
    const wanted: GPUFeatureName[] = (['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[]).filter(
      (f) => adapter.features.has(f) && !disabled.has(f),
    );
    const requiredLimits: Record<string, number> = {};
    for (const name of LIMIT_NAMES) requiredLimits[name] = adapter.limits[name];
    const device = await adapter.requestDevice({ requiredFeatures: wanted, requiredLimits, label: 'hybrid-playground' });
    const info = adapter.info ?? ({} as GPUAdapterInfo);
    const report: AdapterReport = {
      vendor: info.vendor || 'unknown',
      architecture: info.architecture || 'unknown',
      device: info.device || '',
      description: info.description || '',
      isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
      features: {
        shaderF16: device.features.has('shader-f16'),
        subgroups: device.features.has('subgroups'),
        timestampQuery: device.features.has('timestamp-query'),
      },
      subgroupMinSize: (info as { subgroupMinSize?: number }).subgroupMinSize ?? 0,
      limits: {
        maxBufferSize: device.limits.maxBufferSize,
        maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: device.limits.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
        maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
      },
    };
    return new Engine(device, report);
  }

  get isLost(): boolean {
    return this.lostError !== null;
  }

  private assertAlive(): void {
    if (this.lostError) throw this.lostError;
  }

  private openScope(): void {
    if (this.scopeOpen) return;
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    this.scopeOpen = true;
  }

  private closeScope(labels: KernelLabel[]): void {
    if (!this.scopeOpen) return;
    this.scopeOpen = false;
    const validation = this.device.popErrorScope();
    const oom = this.device.popErrorScope();
    this.pendingScopes.push(
      Promise.all([validation, oom]).then(([v, o]) => {
        if (!o && !v) return;
        // Names are built only here, when an error is reported.
        const kernels = labels.map(kernelName);
        const describe = kernels.length ? ` in ${summarizeKernels(kernels)}` : ' while allocating or uploading';
        if (o) throw new GpuKernelError(`Out of GPU memory${describe}: ${o.message}`, 'out-of-memory', kernels);
        throw new GpuKernelError(`WebGPU validation error${describe}: ${v!.message}`, 'validation', kernels);
      }),
    );
  }

  // ---------------------------------------------------------------- memory

  /**
   * An uninitialized tensor (contents undefined until a kernel writes it): float32, or with dtype 'f16' IEEE
   * halves that kernels write themselves (a KV cache; see half.ts for the layout).
   */
  tensor(shape: readonly number[], category: MemoryCategory, label: string, dtype: 'f32' | 'f16' = 'f32'): Tensor {
    return this.newTensor(shape, category, label, false, dtype);
  }

  /** `idle`: the tensor is written from the host next, so its buffer must not be bound by recorded work. */
  private newTensor(shape: readonly number[], category: MemoryCategory, label: string, idle: boolean, dtype: TensorDtype = 'f32'): Tensor {
    this.assertAlive();
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new KernelInputError(`${label}: invalid shape ${shapeToString(shape)}`);
    }
    this.openScope();
    const buffer = this.alloc.create(dtypeBytes(dtype, numel(shape)), category, label, STORAGE_USAGE, idle);
    return new Tensor(this, buffer, [...shape], category, label, dtype);
  }

  /** A tensor holding `data` (float32). */
  upload(data: ArrayLike<number>, shape: readonly number[], category: MemoryCategory, label: string): Tensor {
    if (data.length !== numel(shape)) {
      throw new KernelInputError(`${label}: ${data.length} values do not fill shape ${shapeToString(shape)} (${numel(shape)} values)`);
    }
    // An idle buffer: queue.writeBuffer lands before the recorded batch, which may still read a busy one.
    const t = this.newTensor(shape, category, label, true);
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    if (f32.length > 0) this.device.queue.writeBuffer(t.buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
    return t;
  }

  /**
   * A tensor holding `data` as IEEE halves (dtype 'f16', two per u32; see half.ts): weights stored at half
   * the bytes. Throws a KernelInputError naming the tensor and the first value that does not fit fp16.
   */
  uploadHalf(data: ArrayLike<number>, shape: readonly number[], category: MemoryCategory, label: string): Tensor {
    if (data.length !== numel(shape)) {
      throw new KernelInputError(`${label}: ${data.length} values do not fill shape ${shapeToString(shape)} (${numel(shape)} values)`);
    }
    let words: Uint32Array;
    try {
      words = packHalves(data);
    } catch (err) {
      if (err instanceof HalfRangeError) throw new KernelInputError(`${label}: cannot be stored as fp16: ${err.message}`);
      throw err;
    }
    const t = this.newTensor(shape, category, label, true, 'f16');
    if (words.length > 0) this.device.queue.writeBuffer(t.buffer, 0, words.buffer, 0, words.byteLength);
    return t;
  }

  /** A tensor of unsigned 32-bit integers (token ids). */
  uploadU32(data: ArrayLike<number>, shape: readonly number[], category: MemoryCategory, label: string): Tensor {
    if (data.length !== numel(shape)) {
      throw new KernelInputError(`${label}: ${data.length} values do not fill shape ${shapeToString(shape)} (${numel(shape)} values)`);
    }
    const t = this.newTensor(shape, category, label, true, 'u32');
    const u32 = Uint32Array.from(data);
    if (u32.length > 0) this.device.queue.writeBuffer(t.buffer, 0, u32.buffer, 0, u32.byteLength);
    return t;
  }

  /**
   * Overwrites a tensor's contents from the host. The write lands before the recorded (unsubmitted)
   * dispatches run; when the tensor's buffer came from one that those dispatches still bind (a buffer
   * reused within the batch), they are submitted first, so that they see the old contents.
   */
  write(t: Tensor, data: ArrayLike<number>, offsetElements = 0): void {
    if (t.dtype === 'f16') throw new KernelInputError(`${t}: holds fp16 halves; write() takes float32 data (make it with uploadHalf instead)`);
    if (this.alloc.isBusy(t.buffer)) this.submit();
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    this.device.queue.writeBuffer(t.buffer, offsetElements * 4, f32.buffer, f32.byteOffset, f32.byteLength);
  }

  /**
   * Frees a tensor's buffer: its bytes leave the accounting now. While dispatches are recorded but not
   * submitted, the buffer may still be bound by them: the allocator pools it as busy (later dispatches of
   * the batch may reuse it, since the queue runs them in order; host uploads may not), or, when it is not
   * pooled, it is destroyed right after the next submit (WebGPU keeps a destroyed buffer alive for work
   * already submitted). A buffer a recorded copy reads or writes waits for the submit either way: copies run
   * after every dispatch of the batch.
   */
  releaseBuffer(buffer: GPUBuffer): void {
    if (this.pins.size > 0 && this.pins.has(buffer)) {
      this.alloc.release(buffer, (b, recycle) => this.held.set(b, recycle));
      return;
    }
    if (this.recorded.length === 0 && this.copies.length === 0) {
      this.alloc.release(buffer);
      return;
    }
    const copied = this.copiedBuffers.has(buffer);
    this.alloc.release(buffer, (b, recycle) => {
      if (recycle && !copied) this.alloc.recycle(b, true);
      else (recycle ? this.recycleAfterSubmit : this.destroyAfterSubmit).push(b);
    });
  }

  memory(): MemorySnapshot {
    return this.alloc.snapshot();
  }

  /** Reads a tensor back to the host (submits pending work first); an 'f16' tensor as its values. */
  async read(t: Tensor | GPUBuffer, byteLength?: number): Promise<Float32Array> {
    this.assertAlive();
    const src = t instanceof Tensor ? t.buffer : t;
    const bytes = byteLength ?? (t instanceof Tensor ? t.bytes : src.size);
    this.submit();
    const staging = this.device.createBuffer({ size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
    const enc = this.device.createCommandEncoder();
    if (bytes > 0) enc.copyBufferToBuffer(src, 0, staging, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    try {
      await Promise.race([staging.mapAsync(GPUMapMode.READ), this.lost.then((e) => Promise.reject(e))]);
      const raw = staging.getMappedRange().slice(0, bytes);
      staging.unmap();
      // Halves are read back as their values; other tensors as their 32-bit words.
      const out = t instanceof Tensor && t.dtype === 'f16' && byteLength === undefined ? unpackHalves(new Uint32Array(raw), t.numel) : new Float32Array(raw);
      await this.flushErrors();
      return out;
    } finally {
      staging.destroy();
    }
  }

  // ---------------------------------------------------------------- pipelines

  /**
   * A compute pipeline from the cache. `key` must hold everything that changes the shader source or its
   * override constants (kernel name, variant, workgroup size), never input sizes.
   */
  pipeline(key: string, build: () => ShaderSpec): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const spec = build();
      const module = this.device.createShaderModule({ code: spec.code, label: key });
      p = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint: spec.entryPoint ?? 'main', constants: spec.constants },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * Records one dispatch. Bindings: the uniform block (when given) at @binding(0), then `bindings` at
   * @binding(1), @binding(2), ... in order; without uniforms, `bindings` start at @binding(0).
   * `kernel` names the dispatch in error messages, e.g. `matmul(M=3, K=5, N=7)`.
   * `positional`: byte offsets in `uniforms` of u32 fields whose value is a position plus a constant (they
   * advance by one per decoded token: a RoPE offset, a KV-cache append index, an attended length). Ignored
   * unless a capture is in progress; a capture keeps them so that replay(work, { position }) can rewrite them.
   */
  dispatch(
    kernel: KernelLabel,
    pipeline: GPUComputePipeline,
    bindings: Binding[],
    workgroups: readonly number[],
    uniforms?: ArrayBuffer,
    positional?: readonly number[],
  ): void {
    this.assertAlive();
    const x = workgroups[0];
    const y = workgroups.length > 1 ? workgroups[1] : 1;
    const z = workgroups.length > 2 ? workgroups[2] : 1;
    const maxDim = this.report.limits.maxComputeWorkgroupsPerDimension;
    // The checks that build an error message run only when a count is out of range or not an integer.
    if (!(x >= 0 && x <= maxDim && y >= 0 && y <= maxDim && z >= 0 && z <= maxDim && Number.isInteger(x) && Number.isInteger(y) && Number.isInteger(z))) {
      this.checkWorkgroups(kernel, x, y, z, maxDim);
    }
    if (x === 0 || y === 0 || z === 0) return;
    // A released tensor's buffer may already hold another tensor (reuse within the batch): binding it
    // would read or clobber that one, so it is refused by name.
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      if (b instanceof Tensor ? b.isReleased || this.alloc.isPooled(b.buffer) : this.alloc.isPooled(isBufferBinding(b) ? b.buffer : b)) {
        throw new KernelInputError(`${kernelName(kernel)}: @binding(${i + (uniforms ? 1 : 0)})${b instanceof Tensor ? ` (${b.label})` : ''} is a released tensor's buffer`);
      }
    }
    this.openScope();
    let uniformOffset = -1;
    let uniformSize = 0;
    if (uniforms) {
      uniformSize = uniforms.byteLength;
      uniformOffset = (this.uniformUsed + UNIFORM_ALIGN - 1) & ~(UNIFORM_ALIGN - 1);
      const need = uniformOffset + uniformSize;
      if (need > this.uniformArena.length) {
        const grown = new Uint8Array(Math.max(need, this.uniformArena.length * 2));
        grown.set(this.uniformArena.subarray(0, this.uniformUsed));
        this.uniformArena = grown;
      }
      this.uniformArena.set(new Uint8Array(uniforms), uniformOffset);
      this.uniformUsed = need;
    }
    const d: RecordedDispatch = { kernel, pipeline, uniformOffset, uniformSize, bindings, x, y, z, group: null };
    this.recorded.push(d);
    this.recordedLabels.push(kernel);
    this.dispatchCount++;
    if (this.capturing) this.captureDispatch(this.capturing, d, positional);
  }

  // ---------------------------------------------------------------- capture and replay

  /**
   * Runs `record` (synchronous) and returns its result with a capture of every dispatch it recorded. The
   * dispatches are recorded as usual (they run at the next submit) and also kept in the capture, which
   * replay() appends to later batches. Work that is not a dispatch (uploads, writes, copies) is not
   * captured: copyAfterDispatches() throws while capturing. The capture pins the buffers its dispatches
   * bind until `work.release()`; captures do not nest.
   * `opts.position`: the position the recorded work runs at; needed when a dispatch declares positional
   * uniform fields (see dispatch), which replay(work, { position }) then sets for the replay's position.
   */
  capture<T>(record: () => T, opts: { position?: number } = {}): { result: T; work: CapturedWork } {
    this.assertAlive();
    if (this.capturing) throw new KernelInputError('capture: a capture is already in progress (captures do not nest)');
    const position = opts.position;
    if (position !== undefined && !(Number.isInteger(position) && position >= 0)) throw new KernelInputError(`capture: position ${position} must be a non-negative integer`);
    const c: CaptureInProgress = { dispatches: [], uniforms: new Uint8Array(4096), used: 0, buffers: new Set(), positional: [] };
    this.capturing = c;
    let result: T;
    try {
      result = record();
      if (result && typeof (result as { then?: unknown }).then === 'function') {
        throw new KernelInputError('capture: record must be synchronous (it returned a promise)');
      }
    } catch (e) {
      this.capturing = null;
      this.unpin(c.buffers);
      throw e;
    } finally {
      this.capturing = null;
    }
    if (c.positional.length > 0 && position === undefined) {
      this.unpin(c.buffers);
      throw new KernelInputError(
        `capture: ${c.positional.length} uniform fields of the captured dispatches depend on the position; pass capture(record, { position })`,
      );
    }
    return { result, work: this.finishCapture(c, position ?? 0) };
  }

  /**
   * Appends the captured dispatches to the current batch, in order after whatever is recorded, as if the
   * code that recorded them ran again with the same tensors and uniform values. Returns the number of
   * dispatches appended. Allocates nothing per dispatch: the captured records are appended by reference.
   * A capture with positional uniform fields needs `opts.position` (the position this replay runs at): its
   * fields are rewritten with one queue.writeBuffer, so it replays at most once per submitted batch.
   */
  replay(work: CapturedWork, opts?: { position?: number }): number {
    this.assertAlive();
    if (!work.belongsTo(this)) throw new KernelInputError('replay: this captured work belongs to another engine');
    if (work.isReleased) throw new KernelInputError(`replay: this captured work (${work.dispatchCount} dispatches) was released; capture it again`);
    if (this.capturing) throw new KernelInputError('replay: cannot replay captured work while a capture is in progress');
    const ds = work.dispatches;
    if (ds.length === 0) return 0;
    const pf = work.positional;
    if (pf) this.writePositional(work, pf, opts?.position);
    this.openScope();
    const recorded = this.recorded;
    const labels = this.recordedLabels;
    for (let i = 0; i < ds.length; i++) {
      recorded.push(ds[i]);
      labels.push(ds[i].kernel);
    }
    this.dispatchCount += ds.length;
    return ds.length;
  }

  /** Sets the positional fields of `work` for `position` and writes their span of its uniform buffer. */
  private writePositional(work: CapturedWork, pf: PositionalFields, position: number | undefined): void {
    if (position === undefined || !Number.isInteger(position) || position < 0) {
      throw new KernelInputError(`replay: this captured work has ${pf.offsets.length} position-dependent uniform fields; pass replay(work, { position }) with a non-negative integer (got ${position})`);
    }
    if (work.lastReplayBatch === this.batchIndex) {
      throw new KernelInputError('replay: captured work with position-dependent uniforms replays once per batch (its uniforms are rewritten before the batch runs); submit() between replays');
    }
    const delta = position - pf.basePosition;
    const view = new DataView(pf.bytes.buffer, pf.bytes.byteOffset, pf.bytes.byteLength);
    for (let i = 0; i < pf.offsets.length; i++) {
      const v = pf.values[i] + delta;
      if (v < 0 || v > 0xffffffff) throw new KernelInputError(`replay: position ${position} puts a positional uniform field captured as ${pf.values[i]} at position ${pf.basePosition} out of u32 range`);
      view.setUint32(pf.offsets[i] - pf.lo, v, true);
    }
    this.device.queue.writeBuffer(work.uniformBuffer!, pf.lo, pf.bytes.buffer, pf.bytes.byteOffset, pf.hi - pf.lo);
    work.lastReplayBatch = this.batchIndex;
  }

  /** Whether a capture is in progress. */
  get isCapturing(): boolean {
    return this.capturing !== null;
  }

  private captureDispatch(c: CaptureInProgress, d: RecordedDispatch, positional: readonly number[] | undefined): void {
    let uniformOffset = -1;
    if (d.uniformOffset >= 0) {
      uniformOffset = (c.used + UNIFORM_ALIGN - 1) & ~(UNIFORM_ALIGN - 1);
      const need = uniformOffset + d.uniformSize;
      if (need > c.uniforms.length) {
        const grown = new Uint8Array(Math.max(need, c.uniforms.length * 2));
        grown.set(c.uniforms.subarray(0, c.used));
        c.uniforms = grown;
      }
      c.uniforms.set(this.uniformArena.subarray(d.uniformOffset, d.uniformOffset + d.uniformSize), uniformOffset);
      c.used = need;
      if (positional) {
        for (const at of positional) {
          if (!(Number.isInteger(at) && at >= 0 && at % 4 === 0 && at + 4 <= d.uniformSize)) {
            throw new KernelInputError(`capture: ${kernelName(d.kernel)} declares a positional uniform field at byte ${at}, outside its ${d.uniformSize}-byte block or not 4-aligned`);
          }
          c.positional.push(uniformOffset + at);
        }
      }
    } else if (positional && positional.length > 0) {
      throw new KernelInputError(`capture: ${kernelName(d.kernel)} declares positional uniform fields but has no uniforms`);
    }
    c.dispatches.push({ ...d, uniformOffset });
    const bindings = d.bindings;
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      const buffer = b instanceof Tensor ? b.buffer : isBufferBinding(b) ? b.buffer : b;
      if (c.buffers.has(buffer)) continue;
      c.buffers.add(buffer);
      this.pins.set(buffer, (this.pins.get(buffer) ?? 0) + 1);
    }
  }

  /** The capture's uniform buffer (written once) and each dispatch's bind group against it. */
  private finishCapture(c: CaptureInProgress, basePosition: number): CapturedWork {
    let uniformBuffer: GPUBuffer | null = null;
    try {
      this.openScope();
      if (c.used > 0) {
        const size = Math.ceil(c.used / UNIFORM_ALIGN) * UNIFORM_ALIGN;
        uniformBuffer = this.device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'captured-uniforms' });
        this.device.queue.writeBuffer(uniformBuffer, 0, c.uniforms.buffer, 0, Math.ceil(c.used / 4) * 4);
      }
      const dispatches: RecordedDispatch[] = c.dispatches.map((d) => ({
        ...d,
        group: this.createBindGroup(d, d.uniformOffset >= 0 ? { buffer: uniformBuffer!, offset: d.uniformOffset, size: d.uniformSize } : null),
      }));
      let positional: PositionalFields | null = null;
      if (c.positional.length > 0) {
        const offsets = Uint32Array.from(c.positional).sort();
        const words = new Uint32Array(c.uniforms.buffer, 0, Math.floor(c.used / 4));
        const values = offsets.map((o) => words[o / 4]);
        const lo = offsets[0];
        const hi = offsets[offsets.length - 1] + 4;
        positional = { basePosition, offsets, values, lo, hi, bytes: c.uniforms.slice(lo, hi) };
      }
      return new CapturedWork(this, dispatches, [...c.buffers], uniformBuffer, c.used, positional);
    } catch (e) {
      uniformBuffer?.destroy();
      this.unpin(c.buffers);
      throw e;
    }
  }

  /** Called by CapturedWork.release(). */
  releaseCapture(work: CapturedWork): void {
    this.unpin(work.buffers);
    const u = work.uniformBuffer;
    if (u) {
      // Replays recorded and not yet submitted still bind it; submitted ones keep it alive in WebGPU.
      if (this.recorded.length > 0) this.destroyAfterSubmit.push(u);
      else u.destroy();
    }
  }

  private unpin(buffers: Iterable<GPUBuffer>): void {
    for (const b of buffers) {
      const n = (this.pins.get(b) ?? 1) - 1;
      if (n > 0) {
        this.pins.set(b, n);
        continue;
      }
      this.pins.delete(b);
      const recycle = this.held.get(b);
      if (recycle === undefined) continue;
      this.held.delete(b);
      if (this.recorded.length > 0) (recycle ? this.recycleAfterSubmit : this.destroyAfterSubmit).push(b);
      else if (recycle) this.alloc.recycle(b);
      else b.destroy();
    }
  }

  /**
   * Records a buffer copy encoded after this batch's compute pass: it runs when every dispatch recorded
   * before the next submit has run (e.g. to save a value that the next batch overwrites). Offsets and size
   * in bytes, multiples of 4; both buffers need COPY_SRC / COPY_DST usage (tensors have both).
   */
  copyAfterDispatches(src: Tensor | GPUBuffer, srcOffset: number, dst: Tensor | GPUBuffer, dstOffset: number, size: number): void {
    this.assertAlive();
    if (this.capturing) throw new KernelInputError('copyAfterDispatches: copies are not captured (record them outside capture())');
    const s = src instanceof Tensor ? src.buffer : src;
    const d = dst instanceof Tensor ? dst.buffer : dst;
    for (const v of [srcOffset, dstOffset, size]) {
      if (!Number.isInteger(v) || v < 0 || v % 4 !== 0) throw new KernelInputError(`copyAfterDispatches: offset or size ${v} must be a non-negative multiple of 4`);
    }
    if (srcOffset + size > s.size || dstOffset + size > d.size) {
      throw new KernelInputError(`copyAfterDispatches: ${size} bytes from ${srcOffset} (of ${s.size}) to ${dstOffset} (of ${d.size}) run past a buffer`);
    }
    if (size === 0) return;
    this.openScope();
    this.copies.push({ src: s, srcOffset, dst: d, dstOffset, size });
    this.copiedBuffers.add(s).add(d);
  }

  private checkWorkgroups(kernel: KernelLabel, x: number, y: number, z: number, maxDim: number): void {
    for (const w of [x, y, z]) {
      if (!Number.isInteger(w) || w < 0) throw new KernelInputError(`${kernelName(kernel)}: invalid workgroup count ${w}`);
      if (w > maxDim) {
        throw new GpuLimitError(
          `${kernelName(kernel)}: ${w} workgroups in one dimension exceeds this GPU's maxComputeWorkgroupsPerDimension of ${maxDim}`,
          'maxComputeWorkgroupsPerDimension',
          w,
          maxDim,
        );
      }
    }
  }

  /** Number of dispatches recorded and not yet submitted. */
  get pendingDispatches(): number {
    return this.recorded.length;
  }

  /**
   * Encodes and submits the recorded dispatches (one compute pass) and then the copies recorded with
   * copyAfterDispatches. Returns the number of dispatches submitted.
   */
  submit(opts: { timestamps?: boolean } = {}): number {
    return this.submitBatch(opts.timestamps && this.report.features.timestampQuery ? 'batch' : 'none');
  }

  /**
   * submit() with timestamps 'none', 'batch' (around the one pass: timeBatch) or 'each' (every dispatch in
   * a pass of its own between two timestamps, written to the profile query set: profileBatch).
   */
  private submitBatch(timestamps: 'none' | 'batch' | 'each'): number {
    this.assertAlive();
    const batch = this.recorded;
    const labels = this.recordedLabels;
    const copies = this.copies;
    this.recorded = [];
    this.recordedLabels = [];
    this.batchIndex++;
    if (copies.length > 0) this.copies = [];
    if (batch.length > 0 || copies.length > 0) {
      const tUpload = performance.now();
      if (this.uniformUsed > 0) {
        if (!this.uniformBuffer || this.uniformBuffer.size < this.uniformUsed) {
          this.uniformBuffer?.destroy();
          const size = Math.ceil(Math.max(this.uniformUsed, 4096) / UNIFORM_ALIGN) * UNIFORM_ALIGN * 2;
          this.uniformBuffer = this.device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniform-arena' });
        }
        this.device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformArena.buffer, 0, Math.ceil(this.uniformUsed / 4) * 4);
      }
      const tEncode = performance.now();
      this.submitHostMs.upload += tEncode - tUpload;
      const enc = this.device.createCommandEncoder({ label: summarizeLabels(labels) });
      const ts = timestamps === 'batch' ? this.timestampSet() : null;
      const each = timestamps === 'each' ? this.profileSet(batch.length) : null;
      let pass = enc.beginComputePass(
        ts ? { timestampWrites: { querySet: ts.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {},
      );
      let current: GPUComputePipeline | null = null;
      let currentGroup: GPUBindGroup | null = null;
      for (let i = 0; i < batch.length; i++) {
        const d = batch[i];
        if (each) {
          pass.end();
          pass = enc.beginComputePass({ timestampWrites: { querySet: each.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
          current = null;
          currentGroup = null;
        }
        if (d.pipeline !== current) {
          pass.setPipeline(d.pipeline);
          current = d.pipeline;
        }
        // A bind group is cached per pipeline, so the same group means the same pipeline: the one bound is
        // still valid and compatible, and setting it again would change nothing.
        const group = d.group ?? this.bindGroupFor(d);
        if (group !== currentGroup) {
          pass.setBindGroup(0, group);
          currentGroup = group;
        }
        pass.dispatchWorkgroups(d.x, d.y, d.z);
      }
      pass.end();
      for (const c of copies) enc.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.size);
      // Timestamps resolved and copied where timeBatch / profileBatch map them (readPassTimes).
      const stamps = ts ? { set: ts, pairs: 1 } : each && batch.length > 0 ? { set: each, pairs: batch.length } : null;
      if (stamps) {
        enc.resolveQuerySet(stamps.set.querySet, 0, 2 * stamps.pairs, stamps.set.resolve, 0);
        enc.copyBufferToBuffer(stamps.set.resolve, 0, stamps.set.read, 0, 16 * stamps.pairs);
      }
      const tFinish = performance.now();
      const commands = enc.finish();
      const tQueue = performance.now();
      this.device.queue.submit([commands]);
      const tDone = performance.now();
      this.submitHostMs.encode += tFinish - tEncode;
      this.submitHostMs.finish += tQueue - tFinish;
      this.submitHostMs.queue += tDone - tQueue;
      this.uniformUsed = 0;
    }
    this.settleReleased();
    this.closeScope(labels);
    return batch.length;
  }

  /**
   * Once the recorded dispatches are submitted (or dropped): buffers released while they were recorded
   * and kept back (bound by a recorded copy, or by a capture until then) go to the reuse pool, the rest
   * are destroyed, and the pooled buffers that batch bound become idle (free for uploads too).
   */
  private settleReleased(): void {
    for (const b of this.destroyAfterSubmit) b.destroy();
    for (const b of this.recycleAfterSubmit) this.alloc.recycle(b);
    this.destroyAfterSubmit = [];
    this.recycleAfterSubmit = [];
    this.copiedBuffers.clear();
    this.alloc.settle();
  }

  private idOf(o: object): number {
    let id = this.objectIds.get(o);
    if (id === undefined) {
      id = this.nextObjectId++;
      this.objectIds.set(o, id);
    }
    return id;
  }

  /** The next level of the bind-group trie under `key`, made when missing. */
  private static child(node: BindGroupNode, key: number): BindGroupNode {
    let next = node.next;
    if (!next) node.next = next = new Map();
    let c = next.get(key);
    if (!c) {
      c = { next: null, group: null };
      next.set(key, c);
    }
    return c;
  }

  /** The trie node of `d`'s bind group: pipeline id, uniform buffer id, offset and size, then each binding's buffer id, offset and size. */
  private bindGroupNode(d: RecordedDispatch): BindGroupNode {
    const child = Engine.child;
    let node = child(this.bindGroups, this.idOf(d.pipeline));
    if (d.uniformOffset >= 0) node = child(child(child(node, this.idOf(this.uniformBuffer!)), d.uniformOffset), d.uniformSize);
    else node = child(node, 0);
    const bindings = d.bindings;
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      if (b instanceof Tensor) node = child(child(child(node, this.idOf(b.buffer)), 0), -1);
      else if (isBufferBinding(b)) node = child(child(child(node, this.idOf(b.buffer)), b.offset ?? 0), b.size ?? -1);
      else node = child(child(child(node, this.idOf(b)), 0), -1);
    }
    return node;
  }

  private bindGroupFor(d: RecordedDispatch): GPUBindGroup {
    // A walk by numbers: nothing is built or allocated on a hit. Buffer ids are never reused, so an entry
    // naming a destroyed buffer is never hit again; the cache is emptied when it holds BIND_GROUP_CACHE_CAP
    // groups, which bounds the groups (and through them, buffers) it keeps alive.
    let node = this.bindGroupNode(d);
    if (node.group) return node.group;
    const group = this.createBindGroup(d, d.uniformOffset >= 0 ? { buffer: this.uniformBuffer!, offset: d.uniformOffset, size: d.uniformSize } : null);
    if (this.bindGroupCount >= BIND_GROUP_CACHE_CAP) {
      this.bindGroups = { next: null, group: null };
      this.bindGroupCount = 0;
      node = this.bindGroupNode(d);
    }
    node.group = group;
    this.bindGroupCount++;
    return group;
  }

  private createBindGroup(d: RecordedDispatch, uniform: GPUBufferBinding | null): GPUBindGroup {
    const resources: GPUBufferBinding[] = [];
    if (uniform) resources.push(uniform);
    for (const b of d.bindings) {
      if (b instanceof Tensor) resources.push({ buffer: b.buffer });
      else if (isBufferBinding(b)) resources.push(b);
      else resources.push({ buffer: b });
    }
    let layout = this.layouts.get(d.pipeline);
    if (!layout) {
      layout = d.pipeline.getBindGroupLayout(0);
      this.layouts.set(d.pipeline, layout);
    }
    this.bindGroupsCreated++;
    return this.device.createBindGroup({ layout, entries: resources.map((resource, binding) => ({ binding, resource })), label: kernelName(d.kernel) });
  }

  /** Submits pending work, waits for the GPU, and throws the first error any batch raised. */
  async sync(): Promise<void> {
    this.submit();
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.lost.then((e) => Promise.reject(e))]);
    await this.flushErrors();
  }

  private async flushErrors(): Promise<void> {
    const scopes = this.pendingScopes;
    this.pendingScopes = [];
    await Promise.all(scopes);
    if (this.uncaptured.length) {
      const e = this.uncaptured.shift()!;
      this.uncaptured = [];
      throw new GpuKernelError(`WebGPU error: ${e.message}`, 'internal', []);
    }
    this.assertAlive();
  }

  /** Drops recorded-but-unsubmitted work (used by cancel). */
  discardPending(): void {
    this.batchIndex++;
    this.recorded = [];
    this.recordedLabels = [];
    this.copies = [];
    this.settleReleased();
    this.uniformUsed = 0;
  }

  // ---------------------------------------------------------------- timing

  private timestampSet() {
    if (!this.timestamps) {
      this.timestamps = {
        querySet: this.device.createQuerySet({ type: 'timestamp', count: 2 }),
        resolve: this.device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
        read: this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      };
    }
    return this.timestamps;
  }

  /** The query set and buffers of profileBatch, for at least n dispatches. */
  private profileSet(n: number) {
    if (!this.profile || this.profile.capacity < n) {
      this.profile?.querySet.destroy();
      this.profile?.resolve.destroy();
      this.profile?.read.destroy();
      const capacity = Math.max(64, n);
      this.profile = {
        capacity,
        querySet: this.device.createQuerySet({ type: 'timestamp', count: 2 * capacity }),
        resolve: this.device.createBuffer({ size: 16 * capacity, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
        read: this.device.createBuffer({ size: 16 * capacity, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      };
    }
    return this.profile;
  }

  /**
   * Profiles `record` (which records dispatches): each dispatch runs in a compute pass of its own between
   * two timestamps, and its GPU time is returned with its kernel's name, in order. Pass boundaries cost
   * time of their own, so the sum is not the batch's time (timeBatch); the gaps between passes are not in
   * it. Null without timestamp-query (the batch still runs). At most PROFILE_MAX_DISPATCHES dispatches.
   */
  async profileBatch(record: () => void): Promise<{ kernel: string; ms: number }[] | null> {
    await this.sync();
    record();
    const n = this.recorded.length;
    if (n > PROFILE_MAX_DISPATCHES) {
      this.discardPending();
      throw new KernelInputError(`profileBatch: ${n} dispatches recorded; it profiles at most ${PROFILE_MAX_DISPATCHES}`);
    }
    if (!this.report.features.timestampQuery || n === 0) {
      this.submit();
      await this.sync();
      return this.report.features.timestampQuery ? [] : null;
    }
    const names = this.recordedLabels.map(kernelName);
    this.submitBatch('each');
    const ns = await this.readPassTimes(this.profile!.read, n);
    return names.map((kernel, i) => ({ kernel, ms: ns[i] / 1e6 }));
  }

  /** Nanoseconds between the two timestamps of each of the first `pairs` passes, from `read` (submitBatch copied them there). */
  private async readPassTimes(read: GPUBuffer, pairs: number): Promise<number[]> {
    await read.mapAsync(GPUMapMode.READ, 0, 16 * pairs);
    const t = new BigUint64Array(read.getMappedRange(0, 16 * pairs).slice(0));
    read.unmap();
    await this.flushErrors();
    return Array.from({ length: pairs }, (_, i) => Number(t[2 * i + 1] - t[2 * i]));
  }

  /**
   * Times `record` (which records dispatches) as one batch. With timestamp-query the figure is GPU time of
   * the pass; otherwise wall time from submit to onSubmittedWorkDone. Returns milliseconds.
   */
  async timeBatch(record: () => void): Promise<{ ms: number; source: 'timestamp-query' | 'wall' }> {
    await this.sync();
    record();
    const useTs = this.report.features.timestampQuery;
    const t0 = performance.now();
    this.submit({ timestamps: useTs });
    if (useTs && this.timestamps) {
      const [ns] = await this.readPassTimes(this.timestamps.read, 1);
      if (ns > 0) return { ms: ns / 1e6, source: 'timestamp-query' };
    }
    await this.device.queue.onSubmittedWorkDone();
    const ms = performance.now() - t0;
    await this.flushErrors();
    return { ms, source: 'wall' };
  }

  destroy(): void {
    this.device.destroy();
  }
}

interface CaptureInProgress {
  dispatches: RecordedDispatch[];
  /** Uniform bytes of the captured dispatches at their offsets in the capture's uniform buffer. */
  uniforms: Uint8Array;
  used: number;
  buffers: Set<GPUBuffer>;
  /** Byte offsets of positional u32 fields in `uniforms`. */
  positional: number[];
}

function isBufferBinding(b: GPUBuffer | { buffer: GPUBuffer }): b is { buffer: GPUBuffer; offset?: number; size?: number } {
  return typeof (b as GPUBuffer).mapAsync !== 'function';
}

/** summarizeKernels of the labels, building only the names it shows. */
function summarizeLabels(labels: KernelLabel[]): string {
  if (labels.length <= 4) return labels.map(kernelName).join(', ');
  return `${labels.slice(0, 3).map(kernelName).join(', ')} and ${labels.length - 3} more`;
}

function summarizeKernels(kernels: string[]): string {
  if (kernels.length <= 4) return kernels.join(', ');
  return `${kernels.slice(0, 3).join(', ')} and ${kernels.length - 3} more`;
}

/** Splits a 1-D workgroup count into (x, y) under the per-dimension limit; shaders linearize x + y * nx. */
export function grid1d(workgroups: number, maxPerDim = 65535): [number, number, number] {
  if (workgroups <= maxPerDim) return [workgroups, 1, 1];
  const y = Math.ceil(workgroups / maxPerDim);
  return [Math.ceil(workgroups / y), y, 1];
}
