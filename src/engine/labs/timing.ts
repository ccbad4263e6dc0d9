/**
 * Lab question 1: how long an epoch takes, what 10 epochs would take, and on what hardware.
 * The clock watches the run's step metrics and notes the training time at each epoch boundary,
 * so finished epochs are measured, and the current pace projects the rest.
 */
import { cpus, freemem, totalmem, platform, arch } from 'node:os';
import type { BackendSummary } from '../train/events';
import { runsOnGpu } from '../backends/registry';

export interface EpochTime {
  /** 1-based epoch number. */
  epoch: number;
  ms: number;
}

/** The step metrics the clock reads (a StepMetrics has them). */
export interface StepTick {
  step: number;
  elapsedMs: number;
}

export class EpochClock {
  private readonly ends: EpochTime[] = [];
  private lastEndMs = 0;
  private last: StepTick | undefined;

  /**
   * `startStep`: the step a resumed run starts from. Its elapsed time starts at 0 there, so the
   * pace counts only the steps since, and the epoch it resumes in is not a whole one.
   */
  constructor(private readonly stepsPerEpoch: number, private readonly startStep = 0) {}

  observe(tick: StepTick): void {
    this.last = tick;
    if (this.stepsPerEpoch > 0 && tick.step % this.stepsPerEpoch === 0) {
      const whole = tick.step - this.stepsPerEpoch >= this.startStep;
      if (whole) this.ends.push({ epoch: tick.step / this.stepsPerEpoch, ms: tick.elapsedMs - this.lastEndMs });
      this.lastEndMs = tick.elapsedMs;
    }
  }

  report(): TimingReport {
    const last = this.last;
    const stepsTimed = last ? last.step - this.startStep : 0;
    const msPerStep = last && stepsTimed > 0 ? last.elapsedMs / stepsTimed : 0;
    const measured = this.ends.slice();
    const avgEpochMs = measured.length > 0
      ? measured.reduce((sum, e) => sum + e.ms, 0) / measured.length
      : msPerStep * this.stepsPerEpoch;
    return {
      stepsDone: last?.step ?? 0,
      stepsPerEpoch: this.stepsPerEpoch,
      epochsDone: last && this.stepsPerEpoch > 0 ? last.step / this.stepsPerEpoch : 0,
      elapsedMs: last?.elapsedMs ?? 0,
      msPerStep,
      measuredEpochs: measured.slice(-20),
      avgEpochMs,
      basis: measured.length > 0 ? 'measured' : 'projected',
      tenEpochsMs: 10 * avgEpochMs,
    };
  }
}

export interface TimingReport {
  stepsDone: number;
  stepsPerEpoch: number;
  /** Fractional epochs trained so far. */
  epochsDone: number;
  elapsedMs: number;
  msPerStep: number;
  /** The last finished epochs, each timed (at most 20). */
  measuredEpochs: EpochTime[];
  /** Mean of the finished epochs, or the pace so far times the steps of an epoch when none has finished. */
  avgEpochMs: number;
  basis: 'measured' | 'projected';
  tenEpochsMs: number;
}

export interface HardwareInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  freeMemoryBytes: number;
  os: string;
  node: string;
  backend: string;
  threads: number;
  /** The GPU when the backend runs on one. */
  gpu?: string;
  /** How the backend row reads: its description, with the thread count when the description lacks it. */
  backendText: string;
}

export function hardwareInfo(backend: BackendSummary): HardwareInfo {
  const cpu = cpus();
  // Only the backend's name says where it runs (its registry entry's kind): a CPU backend's
  // description may mention the GPU it could not use ("GPU not used: no NVIDIA driver").
  const onGpu = runsOnGpu(backend.name);
  const threadsText = /\bthreads?\b/.test(backend.description) ? '' : ` (${backend.threads} thread${backend.threads === 1 ? '' : 's'})`;
  return {
    cpuModel: cpu[0]?.model.trim() || 'unknown CPU',
    cores: cpu.length,
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    os: `${platform()} ${arch()}`,
    node: process.version,
    backend: backend.description,
    threads: backend.threads,
    gpu: onGpu ? backend.description : undefined,
    backendText: backend.description + threadsText,
  };
}
