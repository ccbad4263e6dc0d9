/**
 * A run's checkpoints: its own folder (see runFolder.ts), `best.rnnlab` at each new best validation
 * loss (offered to the file's best, which only a better model of the same text replaces),
 * `last.rnnlab` when the run ends, and `run.json` beside them. A checkpoint that cannot be written
 * is a failure of the run: `failure` says in one line what was lost and where the last good
 * checkpoint is, and the run ends (non-zero in the CLI).
 */
import type { CheckpointSaved } from './events';
import type { FloatArray } from '../tensor';
import { writeCheckpoint, type CheckpointMeta } from '../model/io/checkpoint';
import { RunFolder, type FileBestOutcome, type RunRecord, type RunStatus } from './runFolder';

export interface CheckpointTarget {
  /** The checkpoint folder (the file's best and `runs/` go there). */
  dir: string;
  sourceName: string;
  /** The checkpoint a resumed run continues: its run's folder is continued when it is that run's `last.rnnlab`. */
  resumePath?: string;
  /** Retention: run folders kept per file (0 = all). */
  keepRuns: number;
}

/** What a run's end reports about its checkpoints. */
export interface CheckpointsClosed {
  runDir?: string;
  /** The file's best model (this run's or an earlier, better one's). */
  fileBestPath?: string;
  /** The file's best is an earlier run's, better than this one. */
  fileBestKept?: { runId: string; valLoss: number };
  /** Run folders removed by retention. */
  removedRuns: string[];
}

/** What run.json records besides the run's identity and status (the run gathers it: TrainingRun.recordFields). */
export type RecordFields = Omit<RunRecord, 'runId' | 'sourceName' | 'createdAt' | 'updatedAt' | 'status'>;

export class Checkpointer {
  /** The last best checkpoint written, if any. */
  bestPath: string | undefined;
  /** One line when a checkpoint could not be written; the run then ends. */
  failure: string | undefined;
  private folder: RunFolder | undefined;
  private lastGood: string | undefined;
  private fileBest: FileBestOutcome | undefined;

  constructor(
    private readonly target: CheckpointTarget | undefined,
    private readonly events: { checkpoint?(saved: CheckpointSaved): void; log?(level: 'info' | 'warn' | 'error', message: string): void },
  ) {}

  get runDir(): string | undefined {
    return this.folder?.dir;
  }

  /** Makes (or, resuming, takes) the run's folder: before any training, so an unwritable folder is one clear error. */
  async open(): Promise<void> {
    const t = this.target;
    if (!t || this.folder) return;
    this.folder = t.resumePath ? await RunFolder.forResume(t.resumePath, t.dir, t.sourceName) : await RunFolder.create(t.dir, t.sourceName);
  }

  /** `meta` and `record` are only gathered when there is a folder to write to (meta copies the optimizer's state). */
  async save(reason: 'best' | 'final', meta: () => CheckpointMeta, params: FloatArray, valLoss: number, record: () => RecordFields): Promise<string | undefined> {
    const folder = this.folder;
    if (!folder || this.failure) return undefined;
    const path = reason === 'best' ? folder.bestPath : folder.lastPath;
    const gathered = meta();
    try {
      await writeCheckpoint(path, gathered, params);
      await folder.writeRecord({ ...record(), status: 'running' });
    } catch (error) {
      this.fail(`Could not write the checkpoint ${path} (${(error as Error).message}): the model of step ${gathered.step} is lost`);
      return undefined;
    }
    this.lastGood = path;
    if (reason === 'best') {
      this.bestPath = path;
      try {
        this.fileBest = await folder.offerFileBest({ runId: folder.runId, valLoss, step: gathered.step, fingerprint: gathered.fingerprint });
      } catch (error) {
        this.fail(`Could not update the best model of ${folder.sourceName}, ${folder.fileBestPath} (${(error as Error).message})`);
      }
    }
    this.events.checkpoint?.({ path, step: gathered.step, valLoss, reason });
    return path;
  }

  /** The run has ended: its record says how, retention runs, the lock is given up. */
  async close(status: RunStatus, fields: RecordFields): Promise<CheckpointsClosed> {
    const folder = this.folder;
    if (!folder) return { removedRuns: [] };
    let removedRuns: string[] = [];
    try {
      await folder.writeRecord({ ...fields, status: this.failure ? 'error' : status });
      removedRuns = await folder.prune(this.target!.keepRuns);
      if (removedRuns.length) {
        this.events.log?.('info', `Removed ${removedRuns.length} run folder${removedRuns.length === 1 ? '' : 's'} of ${folder.sourceName} ` +
          `(keeping the best {setting:keepRuns} = ${this.target!.keepRuns}): ${removedRuns.join(', ')}`);
      }
    } catch (error) {
      if (!this.failure) this.fail(`Could not write ${folder.recordPath} (${(error as Error).message})`);
    } finally {
      await folder.release();
    }
    const kept = this.fileBest && !this.fileBest.replaced ? this.fileBest.kept : undefined;
    return {
      runDir: folder.dir,
      fileBestPath: this.fileBest?.path,
      ...(kept ? { fileBestKept: { runId: kept.runId, valLoss: kept.valLoss } } : {}),
      removedRuns,
    };
  }

  /** Gives the run's lock up without a record (the run failed before or outside its checkpoints). */
  async release(): Promise<void> {
    await this.folder?.release();
  }

  private fail(what: string): void {
    // Not logged: the run ends with this line as its message.
    this.failure = `${what}; the last good checkpoint is ${this.lastGood ?? 'none (nothing of this run was saved)'}.`;
  }
}
