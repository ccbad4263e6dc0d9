/**
 * Where a run's checkpoints go and what happens when one cannot be written: `<source>-best` at
 * each new best validation loss, `<source>-last` when the run ends. A full disk or an unwritable
 * folder must not throw the training away: the problem is logged and the run carries on.
 */
import type { CheckpointSaved } from '../../protocol/messages';
import type { FloatArray } from '../backends/types';
import { checkpointPath, writeCheckpoint, type CheckpointMeta } from '../model/io/checkpoint';

export class Checkpointer {
  /** The last best checkpoint written, if any. */
  bestPath: string | undefined;

  constructor(
    private readonly dir: string | undefined,
    private readonly sourceName: string,
    private readonly events: { checkpoint?(saved: CheckpointSaved): void; log?(level: 'error', message: string): void },
  ) {}

  /** `meta` is only gathered when there is a folder to write to (it copies the optimizer's state). */
  async save(reason: 'best' | 'final', meta: () => CheckpointMeta, params: FloatArray, valLoss: number): Promise<string | undefined> {
    if (!this.dir) return undefined;
    const path = checkpointPath(this.dir, this.sourceName, reason === 'best' ? 'best' : 'last');
    const gathered = meta();
    try {
      await writeCheckpoint(path, gathered, params);
    } catch (error) {
      this.events.log?.('error', `Could not write the checkpoint ${path}: ${(error as Error).message}`);
      return undefined;
    }
    if (reason === 'best') this.bestPath = path;
    this.events.checkpoint?.({ path, step: gathered.step, valLoss, reason });
    return path;
  }
}
