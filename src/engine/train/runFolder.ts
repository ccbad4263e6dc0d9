/**
 * Where a run's checkpoints go, so that no run ever replaces another run's model:
 *
 *   <checkpoint folder>/
 *     <stem>-best.rnnlab                the file's best model: only replaced by a better model of the same text
 *     runs/<stem>/best.json             what that best is: run id, validation loss, step, text fingerprint
 *     runs/<stem>/<runId>/              one folder per run, made exclusively (runId = start time + random suffix)
 *       best.rnnlab  last.rnnlab        the run's best and final checkpoints
 *       run.json                        small: run id, source, text fingerprint, status, best validation, curves
 *       lock                            the PID of the process that trains it, while it does
 *
 * A resume of a run's `last.rnnlab` continues in that run's folder once it holds its lock; a resume
 * of anything else (a run's best, the file's best, an older flat `<stem>-best.rnnlab.json`) starts a
 * new run. The file's best is updated under its own lock file, so two runs that finish together
 * cannot interleave. Locks whose PID is gone are taken over; so are temporary files of dead writers.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CHECKPOINT_SUFFIX, checkpointStem, type TextFingerprint } from '../model/io/checkpoint';
import type { LossPoint, ValPoint } from '../model/io/checkpoint';
import { UserInputError } from '../text/errors';

export const RUNS_FOLDER = 'runs';
export const RUN_RECORD = 'run.json';
const LOCK = 'lock';
const FILE_BEST_RECORD = 'best.json';
const FILE_BEST_LOCK = 'best.lock';
/** Older builds wrote `<stem>-best.rnnlab.json` and `<stem>-last.rnnlab.json` straight into the checkpoint folder. */
export const LEGACY_SUFFIX = '.rnnlab.json';
const legacyName = /^(.*)-(best|last)\.rnnlab\.json$/;

export type RunStatus = 'running' | 'completed' | 'stopped' | 'diverged' | 'error';

/** run.json: what Compare runs and retention read (never the weights). */
export interface RunRecord {
  runId: string;
  sourceName: string;
  sourcePath?: string;
  fingerprint?: TextFingerprint;
  /** What a token is (Compare runs shows bits/char or bits/word); absent in records of older builds (char). */
  tokens?: 'char' | 'word';
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  step: number;
  /** Nats per token; null before the first evaluation. */
  bestValLoss: number | null;
  bestStep: number;
  history: { train: LossPoint[]; val: ValPoint[] };
}

/** What the file's best model is (runs/<stem>/best.json). */
export interface FileBestRecord {
  runId: string;
  valLoss: number;
  step: number;
  fingerprint?: TextFingerprint;
}

/** `20261205-093512-123-k3f9`: sorts by start time, unique by its random suffix. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '-').replace('Z', '');
  return `${t}-${randomBytes(3).toString('hex').slice(0, 4)}`;
}

export function fileBestPath(checkpointDir: string, sourceName: string): string {
  return join(checkpointDir, `${checkpointStem(sourceName)}-best${CHECKPOINT_SUFFIX}`);
}

export function runsOfFile(checkpointDir: string, sourceName: string): string {
  return join(checkpointDir, RUNS_FOLDER, checkpointStem(sourceName));
}

/** The run folder a checkpoint lies in, when it is a run's (`…/runs/<stem>/<runId>/best|last.rnnlab`). */
export function runFolderOf(checkpoint: string): string | undefined {
  const dir = dirname(checkpoint);
  return basename(dirname(dirname(dir))) === RUNS_FOLDER && /^(best|last)\.rnnlab$/.test(basename(checkpoint)) ? dir : undefined;
}

/** The checkpoint folder a checkpoint belongs to: the one above `runs/` for a run's, else its own folder. */
export function checkpointFolderOf(checkpoint: string): string {
  const run = runFolderOf(checkpoint);
  return run ? dirname(dirname(dirname(run))) : dirname(checkpoint);
}

/** The final checkpoint of the run a best checkpoint belongs to (a run folder's, or an older flat file's). */
export function lastCheckpointBeside(bestPath: string): string {
  if (runFolderOf(bestPath)) return join(dirname(bestPath), `last${CHECKPOINT_SUFFIX}`);
  return bestPath.replace(/-best(\.rnnlab\.json)$/, '-last$1');
}

/** True when a process with this id runs (one we may not signal runs too). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPid(lock: string): Promise<number | undefined> {
  const text = await fs.readFile(lock, 'utf8').catch(() => undefined);
  const pid = text === undefined ? NaN : Number.parseInt(text, 10);
  return Number.isFinite(pid) ? pid : undefined;
}

/**
 * Creates `lock` holding this PID. A lock of a live process: `undefined` and its PID. A lock whose
 * process is gone (or that is unreadable) is taken over.
 */
async function tryLock(lock: string): Promise<{ taken: true } | { taken: false; pid: number }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(lock, `${process.pid}\n`, { flag: 'wx' });
      return { taken: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = await readPid(lock);
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) return { taken: false, pid };
    // Stale (its process is gone): remove it and try again; another process may win that race.
    await fs.unlink(lock).catch(() => {});
  }
  const pid = await readPid(lock);
  return { taken: false, pid: pid ?? -1 };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await fs.writeFile(temp, text);
    await fs.rename(temp, path);
  } catch (error) {
    await fs.unlink(temp).catch(() => {});
    throw error;
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Removes `<name>.<pid>.tmp` files in `dir` whose writer is gone (a killed trainer leaves them). */
async function removeStaleTemps(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = /\.(\d+)\.tmp$/.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    if (await fs.unlink(join(dir, name)).then(() => true, () => false)) removed.push(join(dir, name));
  }
  return removed;
}

export interface FileBestOutcome {
  /** The file's best model now is this run's. */
  replaced: boolean;
  path: string;
  /** When it was not replaced: the better one's validation loss and run. */
  kept?: FileBestRecord;
}

/** One run's folder, held (locked) by this process from `create`/`continueRun` to `release`. */
export class RunFolder {
  private constructor(
    readonly checkpointDir: string,
    readonly sourceName: string,
    readonly runId: string,
    readonly dir: string,
    /** When the run folder was first made (a continued run keeps its own). */
    readonly createdAt: string,
  ) {}

  get bestPath(): string {
    return join(this.dir, `best${CHECKPOINT_SUFFIX}`);
  }

  get lastPath(): string {
    return join(this.dir, `last${CHECKPOINT_SUFFIX}`);
  }

  get recordPath(): string {
    return join(this.dir, RUN_RECORD);
  }

  get fileBestPath(): string {
    return fileBestPath(this.checkpointDir, this.sourceName);
  }

  /**
   * A new run's folder, made exclusively and locked. Fails with one line when the checkpoint folder
   * cannot be written (checked before any training). Stale temporary files are removed first.
   */
  static async create(checkpointDir: string, sourceName: string): Promise<RunFolder> {
    const parent = runsOfFile(checkpointDir, sourceName);
    try {
      await fs.mkdir(parent, { recursive: true });
      await RunFolder.removeStaleTemps(checkpointDir, sourceName);
      for (;;) {
        const runId = newRunId();
        const dir = join(parent, runId);
        try {
          await fs.mkdir(dir);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw error;
        }
        // Nobody else knows this folder yet: the lock cannot be held by another process.
        await fs.writeFile(join(dir, LOCK), `${process.pid}\n`, { flag: 'wx' });
        return new RunFolder(checkpointDir, sourceName, runId, dir, new Date().toISOString());
      }
    } catch (error) {
      throw unwritable(checkpointDir, error);
    }
  }

  /**
   * Continues the run whose folder holds `checkpoint` (its `last.rnnlab`) in that folder, once its
   * lock is taken; a live lock is refused with the PID that holds it. Anything else starts a new run.
   */
  static async forResume(checkpoint: string, checkpointDir: string, sourceName: string): Promise<RunFolder> {
    const dir = runFolderOf(checkpoint);
    if (!dir || basename(checkpoint) !== `last${CHECKPOINT_SUFFIX}`) return RunFolder.create(checkpointDir, sourceName);
    const lock = join(dir, LOCK);
    let held;
    try {
      held = await tryLock(lock);
    } catch (error) {
      throw unwritable(dir, error);
    }
    if (!held.taken) throw new UserInputError(`the run in ${dir} is being trained by process ${held.pid}; stop it before resuming it (or resume from a copy of ${checkpoint}).`);
    const record = await readJson<RunRecord>(join(dir, RUN_RECORD));
    const folder = new RunFolder(checkpointFolderOf(checkpoint), record?.sourceName ?? sourceName, basename(dir), dir, record?.createdAt ?? new Date().toISOString());
    await RunFolder.removeStaleTemps(folder.checkpointDir, folder.sourceName);
    return folder;
  }

  private static async removeStaleTemps(checkpointDir: string, sourceName: string): Promise<string[]> {
    const parent = runsOfFile(checkpointDir, sourceName);
    const runs = await fs.readdir(parent).catch(() => [] as string[]);
    const removed = [...await removeStaleTemps(checkpointDir), ...await removeStaleTemps(parent)];
    for (const run of runs) removed.push(...await removeStaleTemps(join(parent, run)));
    return removed;
  }

  async writeRecord(record: Omit<RunRecord, 'runId' | 'sourceName' | 'createdAt' | 'updatedAt'>): Promise<void> {
    const full: RunRecord = { runId: this.runId, sourceName: this.sourceName, createdAt: this.createdAt, updatedAt: new Date().toISOString(), ...record };
    await writeAtomically(this.recordPath, JSON.stringify(full));
  }

  /**
   * Makes this run's best checkpoint the file's best when it is better than the current one of the
   * same text, or when the current one is of another text (the newer text wins; the older model stays
   * in its run folder). Guarded by a lock file, so two runs that finish together cannot interleave.
   */
  async offerFileBest(candidate: FileBestRecord): Promise<FileBestOutcome> {
    const parent = runsOfFile(this.checkpointDir, this.sourceName);
    const lock = join(parent, FILE_BEST_LOCK);
    const recordPath = join(parent, FILE_BEST_RECORD);
    const path = this.fileBestPath;
    await withLock(lock);
    try {
      const current = await readJson<FileBestRecord>(recordPath);
      const exists = await fs.access(path).then(() => true, () => false);
      const sameText = current?.fingerprint && candidate.fingerprint
        && current.fingerprint.hash === candidate.fingerprint.hash && current.fingerprint.tokens === candidate.fingerprint.tokens;
      if (exists && current && sameText && current.runId !== this.runId && !(candidate.valLoss < current.valLoss)) {
        return { replaced: false, path, kept: current };
      }
      const temp = `${path}.${process.pid}.tmp`;
      await fs.unlink(temp).catch(() => {});
      try {
        // A hard link costs nothing; where links fail (some file systems), a copy.
        await fs.link(this.bestPath, temp).catch(() => fs.copyFile(this.bestPath, temp));
        await fs.rename(temp, path);
      } catch (error) {
        await fs.unlink(temp).catch(() => {});
        throw error;
      }
      await writeAtomically(recordPath, JSON.stringify(candidate));
      return { replaced: true, path };
    } finally {
      await fs.unlink(lock).catch(() => {});
    }
  }

  /**
   * Retention: keeps the `keep` runs of this file with the best validation loss and removes the
   * others' folders, except the run of the file's best, this run, and runs that are training (a
   * live lock). 0 keeps every run. Returns the removed run ids.
   */
  async prune(keep: number): Promise<string[]> {
    if (!(keep > 0)) return [];
    const parent = runsOfFile(this.checkpointDir, this.sourceName);
    const fileBest = await readJson<FileBestRecord>(join(parent, FILE_BEST_RECORD));
    const entries = await fs.readdir(parent, { withFileTypes: true }).catch(() => []);
    const runs = await Promise.all(entries.filter((e) => e.isDirectory()).map(async (e) => {
      const record = await readJson<RunRecord>(join(parent, e.name, RUN_RECORD));
      const best = typeof record?.bestValLoss === 'number' ? record.bestValLoss : Infinity;
      return { runId: e.name, best };
    }));
    runs.sort((a, b) => a.best - b.best || b.runId.localeCompare(a.runId));
    const removed: string[] = [];
    for (const run of runs.slice(keep)) {
      if (run.runId === this.runId || run.runId === fileBest?.runId) continue;
      const dir = join(parent, run.runId);
      const pid = await readPid(join(dir, LOCK));
      if (pid !== undefined && isAlive(pid)) continue;
      await fs.rm(dir, { recursive: true, force: true });
      removed.push(run.runId);
    }
    return removed;
  }

  /** Gives the run's lock up (the folder stays). */
  async release(): Promise<void> {
    const lock = join(this.dir, LOCK);
    if ((await readPid(lock)) === process.pid) await fs.unlink(lock).catch(() => {});
  }
}

/** Takes a short-lived lock file: retries for a few seconds, takes over one whose process is gone. */
async function withLock(lock: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const held = await tryLock(lock);
    if (held.taken) return;
    if (Date.now() > deadline) throw new Error(`${lock} has been held by process ${held.pid} for 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 50));
  }
}

function unwritable(dir: string, error: unknown): UserInputError {
  if (error instanceof UserInputError) return error;
  return new UserInputError(`cannot write checkpoints to ${dir}: ${(error as Error).message}. Give another checkpoint folder, or train without checkpoints.`);
}

/** The older flat checkpoints in a checkpoint folder (`<stem>-best.rnnlab.json`, `-last.rnnlab.json`), by stem. */
export function legacyCheckpointKind(name: string): { stem: string; kind: 'best' | 'last' } | undefined {
  const m = legacyName.exec(name);
  return m ? { stem: m[1], kind: m[2] as 'best' | 'last' } : undefined;
}
