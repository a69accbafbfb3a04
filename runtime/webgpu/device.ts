// Finding a WebGPU device: the page's `navigator.gpu` in a browser, the `webgpu` package (Dawn) in
// Node, or a device the caller already has. Software adapters (Mesa's lavapipe, SwiftShader) run
// WebGPU on the CPU: they are real and exact, but slower than nnc's own CPU runtime, so they are
// used only when asked for (`allowSoftware`). The device asks for the `subgroups` feature where the
// adapter has it and otherwise keeps WebGPU's default limits, so a model that runs here also runs
// in a browser.

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  software: boolean; // a CPU implementation (lavapipe, SwiftShader, WARP)
  subgroups: boolean; // the device was created with the `subgroups` feature
  subgroupSize: number | null; // with subgroups, their size when the adapter has one fixed size
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  // Destroys the device (Dawn keeps Node's event loop alive until then).
  destroy(): void;
}

export class GpuUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpuUnavailableError";
  }
}

// A tensor larger than the device lets one storage binding hold (128 MiB by WebGPU's default
// limits): the model does not fit this device at this batch size. Raised before any dispatch.
export class GpuLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpuLimitError";
  }
}

// The device was lost (a driver reset, the GPU taken away, out of memory) while training.
export class GpuLostError extends Error {
  constructor(reason: string) {
    super(`the GPU device was lost (${reason})`);
    this.name = "GpuLostError";
  }
}

// Checks that `bytes` fit one storage binding of the device; `what` names the tensor.
export function checkBindingSize(device: GPUDevice, bytes: number, what: string): void {
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (bytes > limit) {
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    throw new GpuLimitError(`${what} needs ${mib(bytes)}, more than the ${mib(limit)} one WebGPU buffer may hold on this device; use a smaller batch or layer, or --backend cpu`);
  }
}

export interface OpenOptions {
  allowSoftware?: boolean; // accept a software adapter (default: false)
  device?: GPUDevice; // use this device instead of finding one
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|warp|software/i;

export function describeAdapter(info: GPUAdapterInfo, subgroups: boolean): AdapterDescription {
  const fields = { vendor: info.vendor ?? "", architecture: info.architecture ?? "", device: info.device ?? "", description: info.description ?? "" };
  const extra = info as GPUAdapterInfo & { isFallbackAdapter?: boolean; subgroupMinSize?: number; subgroupMaxSize?: number };
  const software = extra.isFallbackAdapter === true || SOFTWARE.test(`${fields.architecture} ${fields.device} ${fields.description}`);
  const fixed = extra.subgroupMinSize !== undefined && extra.subgroupMinSize === extra.subgroupMaxSize ? extra.subgroupMinSize : null;
  return { ...fields, software, subgroups, subgroupSize: subgroups ? fixed : null };
}

export function adapterName(adapter: AdapterDescription): string {
  const name = adapter.description || [adapter.vendor, adapter.device].filter(Boolean).join(" ") || "an unnamed adapter";
  return adapter.software ? `${name} (software)` : name;
}

// Dawn's module for Node, loaded only when there is no `navigator.gpu`, so a browser bundle never
// reaches for it. The object `create()` returns must stay referenced while its adapters and devices
// live: if it is garbage-collected the process aborts. One instance serves the whole process and
// this module keeps it.
let dawn: Promise<{ gpu: GPU; keepAlive: unknown }> | null = null;

function nodeGpu(): Promise<{ gpu: GPU; keepAlive: unknown }> {
  dawn ??= loadDawn();
  return dawn;
}

async function loadDawn(): Promise<{ gpu: GPU; keepAlive: unknown }> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = (await import("node:os")).tmpdir(); // silences a Dawn warning
  let module: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    module = (await import("webgpu")) as unknown as typeof module;
  } catch (error) {
    throw new GpuUnavailableError(`the \`webgpu\` package could not be loaded: ${(error as Error).message}`);
  }
  // GPUBufferUsage and friends are globals in a browser; Dawn provides them for Node.
  for (const [name, value] of Object.entries(module.globals)) if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  const gpu = module.create([]);
  return { gpu, keepAlive: gpu };
}

// On Linux a hardware GPU shows up as a device node: a DRM render node (Mesa's drivers) or NVIDIA's
// own. Without one, the only adapters are software ones, and loading Dawn just to find that out
// costs time and prints Dawn's warnings about lavapipe's limits. Elsewhere: null (unknown).
export async function gpuDeviceNodes(): Promise<boolean | null> {
  if (typeof process === "undefined" || process.platform !== "linux") return null;
  const { readdirSync } = await import("node:fs");
  const list = (folder: string) => {
    try {
      return readdirSync(folder);
    } catch {
      return [];
    }
  };
  return list("/dev/dri").some((name) => name.startsWith("renderD")) || list("/dev").some((name) => /^nvidia\d+$/.test(name));
}

export async function openGpu(options: OpenOptions = {}): Promise<GpuContext> {
  if (options.device) {
    const device = options.device;
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const adapter = describeAdapter(info ?? ({} as GPUAdapterInfo), device.features.has("subgroups"));
    return { device, adapter, destroy: () => {} }; // the caller owns it
  }
  const browser = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!browser && !options.allowSoftware && (await gpuDeviceNodes()) === false) {
    throw new GpuUnavailableError("this machine has no GPU device (no /dev/dri/renderD* or /dev/nvidia*)");
  }
  const { gpu, keepAlive } = browser ? { gpu: browser, keepAlive: null } : await nodeGpu();
  // NNC_WEBGPU_ADAPTER=none hides every adapter (for tests of what a machine without one sees).
  const hidden = typeof process !== "undefined" && process.env?.NNC_WEBGPU_ADAPTER === "none";
  const found = hidden ? null : await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!found) throw new GpuUnavailableError("no WebGPU adapter was found");
  const info = found.info;
  const probe = describeAdapter(info, false);
  if (probe.software && !options.allowSoftware) {
    throw new GpuUnavailableError(`the only WebGPU adapter is a software one (${adapterName(probe)})`);
  }
  const subgroups = found.features.has("subgroups");
  const device = await found.requestDevice({ requiredFeatures: subgroups ? ["subgroups" as GPUFeatureName] : [] });
  const adapter = describeAdapter(info, subgroups);
  let destroyed = false;
  return {
    device,
    adapter,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      device.destroy();
      void keepAlive; // referenced until here, so Dawn's instance outlives the device
    },
  };
}
