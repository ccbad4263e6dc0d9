/**
 * `rnn-lab bench [--json] [--backend NAME|all] [--config 1,2,3,4,5] [--threads N[,N...]] [--steps N] [--kernels relaxed|plain] [--products native|avx2|wasm]`
 *
 * Speed of each backend on three char-LSTM configurations (100 steps, vocabulary 64, one-hot
 * input, Adam with global-norm clipping 5, as the PyTorch peer script does):
 *   config 1: 1 layer x 128, batch 64;  config 2: 2 layers x 256, batch 64;
 *   config 3: 2 layers x 512, batch 128 (the slow TypeScript backends only when named).
 * `--threads 1,2,4` measures the threaded backends (wasm) at each thread count, a line each.
 * Measures training chars/s, batch-1 sampling chars/s (step + softmax + draw), the hover's
 * next-character distribution after 2,000 characters (cold, and from a state cached at most 63
 * characters earlier, as when states are kept every 64 characters along a document), and the
 * peak resident memory. Each backend x config runs in its own child process, so memory and
 * threads of one measurement never affect another.
 */
import { fork } from 'node:child_process';
import { backendEntry, backendRegistry, type BackendEntry, type ComputeBackendName } from '../engine/backends/registry';
import { loadBackend } from '../engine/backends/select';
import type { Backend, Network, Stepper } from '../engine/backends/types';
import type { TokenBatch } from '../engine/tensor';
import type { KernelsVariant } from '../engine/backends/wasm';
import { initParams } from '../engine/model/init';
import type { ModelSpec } from '../engine/model/spec';
import { Adam, clipGlobalNorm } from '../engine/optim';
import { Rng } from '../engine/random';
import { ContextStateCache, sampleFromLogits } from '../engine/sample';
import { corpusFromText } from '../engine/data/corpus';
import { UNKNOWN_ID } from '../engine/data/tokenizer';

type BackendName = ComputeBackendName;
/** The backends of backend selection, in its order (backends/registry.ts). */
const BACKENDS: BackendName[] = backendRegistry.map((entry) => entry.name);

interface BenchConfig {
  id: 1 | 2 | 3 | 4 | 5;
  layers: number;
  hidden: number;
  batch: number;
  /** What a GPU is for (and the PyTorch cuDNN yardsticks): measured on the GPU only unless named with --config. */
  gpuOnly?: boolean;
}
const CONFIGS: BenchConfig[] = [
  { id: 1, layers: 1, hidden: 128, batch: 64 },
  { id: 2, layers: 2, hidden: 256, batch: 64 },
  { id: 3, layers: 2, hidden: 512, batch: 128 },
  { id: 4, layers: 2, hidden: 512, batch: 256, gpuOnly: true },
  { id: 5, layers: 3, hidden: 1024, batch: 256, gpuOnly: true },
];
/** Backends that train on a GPU. */
const GPU_BACKENDS: readonly BackendName[] = backendRegistry.filter((entry) => entry.kind === 'gpu').map((entry) => entry.name);
/** The TypeScript backends: minutes on the larger configs, so those only when asked for by name. */
const SLOW: readonly BackendName[] = ['js', 'reference'];
/** Backends whose speed depends on a thread count (swept by --threads N,M,...). */
const THREADED: readonly BackendName[] = ['wasm'];
const SEQ = 100;
const VOCAB = 64;
const HOVER_CONTEXT = 2000;
const HOVER_CACHE_STRIDE = 64;
/** Stop a timed loop after this long even if fewer steps were done (at least one always runs). */
const TIME_CAP_MS = 15_000;

type Work = { warmup: number; steps: [number, number, number, number, number]; sampleChars: number };
/** Warm-up and timed training steps (by config) and sampled characters, by backend (slow ones do less). */
const WORK: Partial<Record<BackendName, Work>> = {
  js: { warmup: 1, steps: [3, 2, 1, 1, 1], sampleChars: 400 },
  reference: { warmup: 1, steps: [2, 1, 1, 1, 1], sampleChars: 200 },
  cuda: { warmup: 3, steps: [50, 50, 30, 30, 20], sampleChars: 3000 },
  webgpu: { warmup: 3, steps: [50, 50, 30, 30, 20], sampleChars: 3000 },
};
/** Fast backends (wasm, and any compiled one) do the full amount. */
const FAST_WORK: Work = { warmup: 3, steps: [20, 8, 5, 3, 2], sampleChars: 20000 };
const workOf = (name: BackendName): Work => WORK[name] ?? FAST_WORK;

export interface BenchResult {
  backend: string;
  description: string;
  config: number;
  threads: number;
  layers: number;
  hidden: number;
  batch: number;
  seq: number;
  vocab: number;
  steps: number;
  trainCharsPerS: number;
  sampleCharsPerS: number;
  /** Next-character distribution from a state cached < HOVER_CACHE_STRIDE characters back. */
  hoverMs: number;
  /** The same after feeding all 2,000 characters from a zero state. */
  hoverColdMs: number;
  peakRssMiB: number;
}

interface Options {
  json: boolean;
  backends: BackendName[];
  explicitBackend: boolean;
  configs: BenchConfig[];
  /** --config was given: every listed config runs on every backend. */
  explicitConfig: boolean;
  /** Thread counts of the threaded backends, one measurement each (0 = all cores). */
  threads: number[];
  steps?: number;
  kernels?: KernelsVariant;
  /** --products: the wasm backend's matrix products native (at the CPU's widest vectors, or AVX2) or in WebAssembly; default native where it runs. */
  products?: 'native' | 'avx2' | 'wasm';
  child?: { backend: BackendName; config: BenchConfig };
}

const USAGE = `rnn-lab bench [--json] [--backend ${BACKENDS.join('|')}|all] [--config 1,2,3,4,5] [--threads N[,N...]] [--steps N] [--kernels relaxed|plain] [--products native|avx2|wasm]
  Measures training chars/s, batch-1 sampling chars/s, hover latency and peak memory of each backend
  on config 1 (LSTM 1 x 128, batch 64), config 2 (LSTM 2 x 256, batch 64), config 3 (LSTM 2 x 512,
  batch 128), and on the GPU config 4 (LSTM 2 x 512, batch 256) and config 5 (LSTM 3 x 1024,
  batch 256); ${SEQ} steps, vocabulary ${VOCAB}.
  --json       one JSON line per backend x config x thread count
  --config     which configs, e.g. 1,3 (default all; the js and reference backends run config 3 only
               when named, and only the GPU runs configs 4 and 5 unless they are named)
  --backend    which backend(s) (default all; the float64 reference runs config 2 only when named)
  --threads    threads of the wasm backend, or a list to sweep, e.g. 1,2,4 (default 0 = all cores;
               more than the cores are capped, and the description says so)
  --steps      timed training steps (default depends on the backend's speed)
  --kernels    which build of the wasm kernels (default: relaxed SIMD where the runtime has it)
  --products   the wasm backend's matrix products as native code (native: AVX-512 where the CPU has
               it, else AVX2, NEON on ARM64, Accelerate on macOS; avx2: AVX2 only) or in
               WebAssembly (default: native where it runs)
`;

export async function benchCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options: Options;
  try {
    options = parseArgs(argv[0] === 'bench' ? argv.slice(1) : argv);
  } catch (err) {
    process.stderr.write(`rnn-lab bench: ${(err as Error).message}\n`);
    return 2;
  }
  if (options.child) {
    const result = await measure(options.child.backend, options.child.config, options);
    if (process.send) process.send(result);
    else process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }

  const unavailable = new Map<BackendName, string>();
  for (const backend of options.backends) {
    const reason = await entryOf(backend).probe(entryOptions(options));
    if (reason === undefined) continue;
    if (options.explicitBackend) {
      process.stderr.write(`rnn-lab bench: the ${backend} backend is unavailable: ${reason}\n`);
      return 1;
    }
    unavailable.set(backend, reason);
    process.stderr.write(`rnn-lab bench: skipping ${backend} (${reason})\n`);
  }
  const results: BenchResult[] = [];
  for (const config of options.configs) {
    for (const backend of options.backends) {
      if (unavailable.has(backend)) continue;
      if (SLOW.includes(backend) && !options.explicitBackend && (config.id === 3 || (backend === 'reference' && config.id === 2))) continue;
      if (config.gpuOnly && !GPU_BACKENDS.includes(backend) && !options.explicitConfig) continue;
      const threaded = THREADED.includes(backend);
      for (const threads of threaded ? options.threads : [1]) {
        if (!options.json) process.stderr.write(`measuring ${backend}, config ${config.id}${threaded ? `, threads ${threads || 'all'}` : ''} ...\n`);
        let result: BenchResult;
        try {
          result = await runChild(backend, config, threads, options);
        } catch (err) {
          process.stderr.write(`rnn-lab bench: ${(err as Error).message}\n`);
          return 1;
        }
        results.push(result);
        if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      }
    }
  }
  if (!options.json) process.stdout.write(formatTable(results));
  return 0;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { json: false, backends: [...BACKENDS], explicitBackend: false, configs: [...CONFIGS], explicitConfig: false, threads: [0] };
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  const count = (v: string, flag: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--backend') {
      const v = value(i++, arg);
      if (v === 'all') options.backends = [...BACKENDS];
      else if ((BACKENDS as string[]).includes(v)) {
        options.backends = [v as BackendName];
        options.explicitBackend = true;
      } else throw new Error(`unknown backend "${v}" (${BACKENDS.join(', ')} or all)`);
    } else if (arg === '--threads') {
      options.threads = value(i++, arg).split(',').map((v) => count(v, arg, 0));
    } else if (arg === '--config') {
      options.explicitConfig = true;
      options.configs = value(i++, arg).split(',').map((v) => {
        const config = CONFIGS.find((c) => String(c.id) === v);
        if (!config) throw new Error(`--config must list config numbers (${CONFIGS.map((c) => c.id).join(', ')}), got "${v}"`);
        return config;
      });
    }
    else if (arg === '--steps') options.steps = count(value(i++, arg), arg, 1);
    else if (arg === '--kernels') {
      const v = value(i++, arg);
      if (v !== 'relaxed' && v !== 'plain') throw new Error(`unknown kernels "${v}" (relaxed or plain)`);
      options.kernels = v;
    } else if (arg === '--products') {
      const v = value(i++, arg);
      if (v !== 'native' && v !== 'avx2' && v !== 'wasm') throw new Error(`unknown products "${v}" (native, avx2 or wasm)`);
      options.products = v;
    } else if (arg === '--child') {
      const [backend, id] = value(i++, arg).split(':');
      const config = CONFIGS.find((c) => c.id === Number(id));
      if (!(BACKENDS as string[]).includes(backend) || !config) throw new Error(`bad --child "${argv[i]}"`);
      options.child = { backend: backend as BackendName, config };
    } else throw new Error(`unknown option "${arg}"`);
  }
  return options;
}

/** Runs one measurement in a fresh Node process (this same script) and returns its result. */
function runChild(backend: BackendName, config: BenchConfig, threads: number, options: Options): Promise<BenchResult> {
  const args = ['bench', '--child', `${backend}:${config.id}`, '--threads', String(threads)];
  if (options.steps !== undefined) args.push('--steps', String(options.steps));
  if (options.kernels !== undefined) args.push('--kernels', options.kernels);
  if (options.products !== undefined) args.push('--products', options.products);
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1], args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: BenchResult | undefined;
    child.on('message', (m) => (result = m as BenchResult));
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`the ${backend} measurement exited with code ${code}`))));
  });
}

async function createBackend(name: BackendName, options: Options): Promise<Backend> {
  // Each measurement is a process of its own, so the process-wide limit touches nothing else.
  if (options.products === 'avx2') (await import('../engine/backends/wasm')).limitNativeProductsToAvx2();
  return loadBackend(entryOf(name), entryOptions(options));
}

/**
 * A software GPU adapter (SwiftShader) is measured only when the backend is named, as in training
 * (a measurement's own process runs only what its parent accepted).
 */
function entryOptions(options: Options) {
  return { threads: options.threads[0], kernels: options.kernels, nativeProducts: nativeProductsOption(options), allowSoftwareGpu: options.explicitBackend || options.child !== undefined };
}

function entryOf(name: BackendName): BackendEntry {
  const entry = backendEntry(name);
  if (!entry) throw new Error(`no backend "${name}" in src/engine/backends/registry.ts`);
  return entry;
}

function nativeProductsOption(options: Options): boolean | undefined {
  return options.products === undefined ? undefined : options.products !== 'wasm';
}

async function measure(name: BackendName, config: BenchConfig, options: Options): Promise<BenchResult> {
  const backend = await createBackend(name, options);
  const spec: ModelSpec = { cell: 'lstm', vocabSize: VOCAB, hiddenSize: config.hidden, layers: config.layers, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
  const net = backend.createNetwork(spec, { batchSize: config.batch, steps: SEQ });
  initParams(spec, net.params, 1);
  net.paramsChanged();
  const work = workOf(name);
  const rng = new Rng(2);

  const timedSteps = options.steps ?? work.steps[config.id - 1];
  const training = timeTraining(net, rng, config.batch, work.warmup, timedSteps);
  const stepper = net.createStepper(1);
  const sampleCharsPerS = timeSampling(stepper, rng, work.sampleChars);
  const { hoverMs, hoverColdMs } = timeHover(stepper, rng);
  stepper.dispose();
  net.dispose();
  backend.dispose();

  return {
    backend: backend.info.name,
    description: backend.info.description,
    config: config.id,
    threads: backend.info.threads,
    layers: config.layers,
    hidden: config.hidden,
    batch: config.batch,
    seq: SEQ,
    vocab: VOCAB,
    steps: training.steps,
    trainCharsPerS: round((config.batch * SEQ) / training.medianSeconds),
    sampleCharsPerS: round(sampleCharsPerS),
    hoverMs: round(hoverMs, 2),
    hoverColdMs: round(hoverColdMs, 2),
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
  };
}

function randomBatch(rng: Rng, batchSize: number): TokenBatch {
  // Stream mode: targets are the inputs shifted by one.
  const ids = Int32Array.from({ length: batchSize * (SEQ + 1) }, () => rng.int(VOCAB));
  const inputs = new Int32Array(batchSize * SEQ);
  const targets = new Int32Array(batchSize * SEQ);
  for (let b = 0; b < batchSize; b++) {
    inputs.set(ids.subarray(b * (SEQ + 1), b * (SEQ + 1) + SEQ), b * SEQ);
    targets.set(ids.subarray(b * (SEQ + 1) + 1, (b + 1) * (SEQ + 1)), b * SEQ);
  }
  return { batchSize, steps: SEQ, inputs, targets };
}

/**
 * One training step as the training loop does it: forward + backward, clip, Adam. Speed is taken
 * from the median step time, so a burst of load from another process does not skew it.
 */
function timeTraining(net: Network, rng: Rng, batchSize: number, warmup: number, steps: number): { steps: number; medianSeconds: number } {
  const batches = [randomBatch(rng, batchSize), randomBatch(rng, batchSize)];
  const options = (i: number) => ({ carryState: true, train: true, dropoutSeed: i });
  // A GPU network clips and updates on the device (and reads back only the loss), as in training.
  const adam = net.trainStep ? undefined : new Adam(2e-3, net.params.length);
  const step = (i: number) => {
    if (!adam) {
      net.trainStep!(batches[i % 2], options(i), { optimizer: 'adam', learningRate: 2e-3, clipNorm: 5 });
      return;
    }
    net.forwardBackward(batches[i % 2], options(i));
    clipGlobalNorm(net.grads, 5);
    adam.step(net.params, net.grads);
    net.paramsChanged();
  };
  for (let i = 0; i < warmup; i++) step(i);
  const times: number[] = [];
  const start = performance.now();
  while (times.length < steps && (times.length === 0 || performance.now() - start < TIME_CAP_MS)) {
    const t0 = performance.now();
    step(times.length);
    times.push(performance.now() - t0);
  }
  return { steps: times.length, medianSeconds: median(times) / 1000 };
}

/** Batch-1 sampling: step, softmax at temperature 1, draw; the drawn symbol is the next input. Median of 50-char runs. */
function timeSampling(stepper: Stepper, rng: Rng, chars: number): number {
  const token = new Int32Array(1);
  const run = (n: number) => {
    // As the samplers draw: never the unknown symbol (id 0 in every vocabulary).
    for (let i = 0; i < n; i++) token[0] = sampleFromLogits(stepper.step(token), 0, VOCAB, { temperature: 1, avoid: UNKNOWN_ID }, rng);
  };
  const chunk = 50;
  stepper.reset();
  run(Math.min(100, chars)); // warm-up
  const times: number[] = [];
  const start = performance.now();
  while (times.length * chunk < chars && (times.length === 0 || performance.now() - start < TIME_CAP_MS)) {
    const t0 = performance.now();
    run(chunk);
    times.push(performance.now() - t0);
  }
  return chunk / (median(times) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The hover, through the same ContextStateCache the trainer answers it with: the distribution of
 * the character after position p of a document, p >= 2,000. Cold: an empty cache feeds all p
 * characters. Cached: the previous hover over the same text left states every 64 characters, so a
 * hover a little further on feeds fewer than 64 (averaged over p = 2000 .. 2063).
 */
function timeHover(stepper: Stepper, rng: Rng): { hoverMs: number; hoverColdMs: number } {
  // VOCAB - 1 distinct letters (the vocabulary adds ⟨unk⟩), so the model's whole vocabulary is used.
  const letters = Array.from({ length: VOCAB - 1 }, (_, k) => String.fromCodePoint(0x100 + k));
  const doc = Array.from({ length: HOVER_CONTEXT + HOVER_CACHE_STRIDE }, () => letters[rng.int(letters.length)]).join('');
  const vocab = corpusFromText(letters.join(''), { maxVocab: VOCAB }).tokenizer;
  if (vocab.size !== VOCAB) throw new Error(`hover vocabulary has ${vocab.size} symbols, expected ${VOCAB}`);

  new ContextStateCache(stepper, vocab, HOVER_CACHE_STRIDE).distribution(doc.slice(0, 200), 10); // warm-up
  const cache = new ContextStateCache(stepper, vocab, HOVER_CACHE_STRIDE);
  let start = performance.now();
  cache.distribution(doc.slice(0, HOVER_CONTEXT), 10);
  const hoverColdMs = performance.now() - start;

  const queries = 16;
  const contexts = Array.from({ length: queries }, (_, q) => doc.slice(0, HOVER_CONTEXT + Math.floor((q * HOVER_CACHE_STRIDE) / queries)));
  start = performance.now();
  for (const context of contexts) cache.distribution(context, 10);
  return { hoverMs: (performance.now() - start) / queries, hoverColdMs };
}

function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function formatTable(results: BenchResult[]): string {
  const header = ['backend', 'config', 'train chars/s', 'sample chars/s', 'hover ms (cached / cold)', 'peak RSS MiB'];
  const rows = results.map((r) => [
    r.description,
    `${r.config}: ${r.layers} x ${r.hidden}, batch ${r.batch}`,
    r.trainCharsPerS.toLocaleString('en-US'),
    r.sampleCharsPerS.toLocaleString('en-US'),
    `${r.hoverMs.toFixed(2)} / ${r.hoverColdMs.toFixed(1)}`,
    String(r.peakRssMiB),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const intro = `seq ${SEQ}, vocab ${VOCAB}, LSTM, Adam; hover = next-char distribution after ${HOVER_CONTEXT} chars\n`;
  return `${intro}${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`;
}
