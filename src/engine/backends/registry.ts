/**
 * The compute backends, one entry each, fastest first: what a person reads about one (the setting's
 * choice and description, the label of `rnn-lab bench` and of messages), whether it runs on a GPU,
 * how to tell whether it can run here, and how to load it. Everything that lists backends is
 * derived from this list: the `backend` setting's choices and descriptions (config/settings.ts, and
 * through it package.json), the order 'auto' tries them in (select.ts), `rnn-lab bench`'s list and
 * the Lab timing card's hardware line. A new backend is a new entry here.
 *
 * The settings table imports this file, and the webviews import the table: so it imports no
 * backend code statically. Probes and loaders reach their backend by `import()`, which the Node
 * bundles include and the webview bundles leave out (scripts/build.mjs).
 */
import type { Backend } from './types';
import type { KernelsVariant } from './wasm';
import { briefGpuReason } from './cuda/errors';
import { briefWebGpuNote } from './webgpu/errors';

export interface BackendOptions {
  /** 0 = every available core. */
  threads: number;
  /** Which build of the WebAssembly kernels (bench compares them); by default the best the runtime has. */
  kernels?: KernelsVariant;
  /** Whether the WebAssembly kernels run their matrix products natively (bench compares); by default where they can. */
  nativeProducts?: boolean;
  /** 'auto' only: a model too big for the GPU trains on the CPU, and this hears why. */
  onOutOfMemory?: (message: string) => void;
  /** WebGPU: the device was lost mid-run and training goes on on the CPU; this hears why. */
  onGpuLost?: (message: string) => void;
  /** WebGPU: accept a software adapter (SwiftShader); only when the backend is named, never for 'auto'. */
  allowSoftwareGpu?: boolean;
}

/** What a probe answers: undefined when the backend can run here, else why it cannot. */
export type Unavailability = string | undefined;

export interface BackendEntry {
  /** The `backend` setting's choice, and `BackendInfo.name` of the backends it creates. */
  name: string;
  /** What a person reads in `rnn-lab bench` and in messages ("CUDA GPU backend unavailable"). */
  label: string;
  /** The setting's description of this choice (settings editor, `--help`, README). */
  description: string;
  /** Where it trains; a GPU backend's description names the device (the timing card shows it). */
  kind: 'cpu' | 'gpu';
  /** Tried by 'auto', in the order of this list. */
  auto: boolean;
  /**
   * Computes every model the reference computes (a Keras 1 file's hard_sigmoid gates, say); the
   * others refuse such a model (model/spec.ts `referenceOnly`).
   */
  everyModel: boolean;
  /** Why this backend cannot run here, or undefined; cheap, creates nothing. */
  probe(options: BackendOptions): Unavailability | Promise<Unavailability>;
  /**
   * Creates the backend. `cpu` gives the fastest CPU backend that runs here, for a GPU backend's
   * stepping (sampling, the hover, the lab answers).
   */
  load(options: BackendOptions, cpu: () => Promise<Backend>): Promise<Backend>;
  /** A GPU backend: the few words of a probe's or loader's failure that go into the description of the CPU backend used instead. */
  briefReason?(message: string): string;
}

export const backendRegistry = [
  {
    name: 'cuda',
    label: 'CUDA GPU',
    description: 'NVIDIA GPU (CUDA driver; no toolkit needed). Sampling and the hover stay on the CPU.',
    kind: 'gpu',
    auto: true,
    everyModel: false,
    // Opening the driver is the only way to know; it is quick, and the runtime is kept for load.
    probe: async () => (await import('./cuda')).cudaUnavailableReason(),
    // Sampling and the hover on the best CPU backend, with a copy of the weights.
    load: async (o, cpu) => (await import('./cuda')).createCudaBackend(await cpu(), { onOutOfMemory: o.onOutOfMemory }),
    briefReason: briefGpuReason,
  },
  {
    name: 'webgpu',
    label: 'WebGPU',
    description: 'Any GPU through WebGPU (Metal, Direct3D 12, Vulkan): in VS Code through a GPU tab of its own (closing it moves the run to the CPU), in the CLI with Dawn (the optional npm package webgpu). Sampling and the hover stay on the CPU.',
    kind: 'gpu',
    auto: true,
    everyModel: false,
    // For 'auto' the adapter is probed in a process of its own; a software adapter only when named.
    probe: async (o) => (await import('./webgpu')).webgpuUnavailableReason({ allowSoftware: o.allowSoftwareGpu === true }),
    // 'auto' runs a one-step self-test against the CPU engine before it trusts the adapter.
    load: async (o, cpu) =>
      (await import('./webgpu')).createWebGpuBackend(await cpu(), { allowSoftware: o.allowSoftwareGpu === true, selfTest: !o.allowSoftwareGpu, onOutOfMemory: o.onOutOfMemory, onDeviceLost: o.onGpuLost }),
    briefReason: briefWebGpuNote,
  },
  {
    name: 'wasm',
    label: 'WebAssembly SIMD',
    description: 'WebAssembly SIMD kernels on worker threads; their matrix products run as native code: AVX2 / AVX-512 on x86-64 Linux and Windows, NEON on ARM64 Linux, Accelerate on macOS.',
    kind: 'cpu',
    auto: true,
    everyModel: false,
    probe: async (o) => (await import('./wasm')).wasmUnavailableReason(o.kernels, o.nativeProducts),
    load: async (o) => {
      const wasm = await import('./wasm');
      return wasm.createWasmBackend(wasm.resolveThreads(o.threads), { kernels: o.kernels, nativeProducts: o.nativeProducts });
    },
  },
  {
    name: 'js',
    label: 'JavaScript float32',
    description: 'Plain JavaScript (float32).',
    kind: 'cpu',
    auto: true,
    everyModel: true,
    probe: () => undefined,
    load: async () => (await import('./reference')).createReferenceBackend('float32'),
  },
  {
    name: 'reference',
    label: 'float64 reference',
    description: 'Float64 reference implementation: slow, for checking.',
    kind: 'cpu',
    auto: false,
    everyModel: true,
    probe: () => undefined,
    load: async () => (await import('./reference')).createReferenceBackend('float64'),
  },
] as const satisfies readonly BackendEntry[];

export type ComputeBackendName = (typeof backendRegistry)[number]['name'];

/** The compute backends' names, fastest first (the `backend` setting's choices after 'auto'). */
export const computeBackendNames: readonly ComputeBackendName[] = backendRegistry.map((entry) => entry.name);

/** The `backend` setting's description of 'auto': the backends it tries, in order. */
export function autoBackendDescription(): string {
  const labels = backendRegistry.filter((entry) => entry.auto).map((entry) => entry.label);
  return `The fastest available of ${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}, tried in that order.`;
}

/** The entry of `name`, or undefined for a name no backend has (a setting from a newer version, say). */
export function backendEntry(name: string): BackendEntry | undefined {
  return backendRegistry.find((entry) => entry.name === name);
}

/** Whether a backend of this name (`BackendInfo.name`) trains on a GPU. */
export function runsOnGpu(name: string): boolean {
  return backendEntry(name)?.kind === 'gpu';
}
