/**
 * "Compare runs": this workspace's runs, read from the checkpoints in its checkpoint folder (one
 * per trained file: its `-last` checkpoint, else its `-best`) and from the curves of earlier runs
 * kept in its `runs/` subfolder. A new run of a file overwrites that file's checkpoints, so before
 * it starts `keepEarlierRun` saves the earlier run's curves (a few KB, no weights) there. Read
 * asynchronously; very large files are skipped with a note rather than parsed on the extension host.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunCurves } from '../protocol/messages';
import { CHECKPOINT_SUFFIX, checkpointPath, checkpointStem, readCheckpointSummary } from '../engine/model/io/checkpoint';

const keptSuffix = '.curves.json';
/** Where the curves of earlier runs are kept, inside the checkpoint folder. */
export const keptRunsFolder = 'runs';
/** Checkpoints above this size are not read here (their weights dominate; the curves are small). */
const maxBytes = 64 * 1024 * 1024;
const maxRuns = 30;

/**
 * What a checkpoint, or a kept run's curves file, says about its run. The best validation loss is
 * `best.valLoss` in a checkpoint (format 2) and `bestValLoss` in a curves file and a format-1 one.
 */
interface RunRecord {
  sourceName?: string; createdAt?: string; step?: number; bestValLoss?: number | null; best?: { valLoss?: number | null };
  history?: { train?: RunCurves['train']; val?: RunCurves['val'] };
}

function bestValLossOf(record: RunRecord): number | null {
  return record.best?.valLoss ?? record.bestValLoss ?? null;
}

async function readRecord(file: string): Promise<{ record: RunRecord; mtime: Date }> {
  const stat = await fs.stat(file);
  if (!file.endsWith(keptSuffix)) {
    // A checkpoint: only its header is read (its weights are most of it).
    const s = await readCheckpointSummary(file);
    const record = { sourceName: s.sourceName, createdAt: s.createdAt || undefined, step: s.step, bestValLoss: Number.isFinite(s.bestValLoss) ? s.bestValLoss : null, history: { train: s.trainHistory, val: s.valHistory } };
    return { record, mtime: stat.mtime };
  }
  if (stat.size > maxBytes) throw new Error(`${(stat.size / 2 ** 20).toFixed(0)} MB`);
  return { record: JSON.parse(await fs.readFile(file, 'utf8')) as RunRecord, mtime: stat.mtime };
}

function curvesOf(id: string, name: string, record: RunRecord, mtime: Date): RunCurves {
  const val = Array.isArray(record.history?.val) ? record.history!.val! : [];
  const withEpoch = val.find((v) => typeof v.epoch === 'number' && v.epoch > 0);
  return {
    id,
    name,
    createdAt: record.createdAt ?? mtime.toISOString(),
    step: record.step ?? 0,
    bestValLoss: bestValLossOf(record),
    stepsPerEpoch: withEpoch ? withEpoch.step / withEpoch.epoch! : undefined,
    train: Array.isArray(record.history?.train) ? record.history!.train! : [],
    val,
  };
}

/**
 * Keeps the curves of the run whose checkpoints a new run on `sourceName` is about to overwrite.
 * Nothing to keep (no checkpoint yet, or one too big to read here) is not an error.
 */
export async function keepEarlierRun(folder: string, sourceName: string): Promise<void> {
  for (const kind of ['last', 'best'] as const) {
    let read: { record: RunRecord; mtime: Date };
    try {
      read = await readRecord(checkpointPath(folder, sourceName, kind));
    } catch {
      continue;
    }
    const { record, mtime } = read;
    const createdAt = record.createdAt ?? mtime.toISOString();
    const kept: RunRecord = { sourceName: record.sourceName ?? sourceName, createdAt, step: record.step, bestValLoss: bestValLossOf(record), history: record.history };
    const dir = path.join(folder, keptRunsFolder);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, `${checkpointStem(sourceName)}@${createdAt.replace(/[^0-9A-Za-z]/g, '')}${keptSuffix}`), JSON.stringify(kept));
    return;
  }
}

export async function listRuns(folder: string): Promise<{ runs: RunCurves[]; note?: string }> {
  let names: string[];
  try {
    names = (await fs.readdir(folder)).filter((n) => n.endsWith(CHECKPOINT_SUFFIX));
  } catch {
    return { runs: [], note: `No runs yet: checkpoints go to ${folder} when a run trains.` };
  }
  // One per stem: prefer the final checkpoint, which carries the whole history.
  const byStem = new Map<string, string>();
  for (const name of names.sort()) {
    const m = /^(.*)-(best|last)\.rnnlab\.json$/.exec(name);
    const stem = m ? m[1] : name;
    if (!byStem.has(stem) || m?.[2] === 'last') byStem.set(stem, name);
  }
  // Checkpoints are large (their weights), so only the newest `maxRuns` are parsed.
  const newest = await Promise.all([...byStem].map(async ([stem, name]) => {
    const file = path.join(folder, name);
    return { stem, name, file, mtimeMs: await fs.stat(file).then((s) => s.mtimeMs, () => 0) };
  }));
  newest.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const runs: RunCurves[] = [];
  const skipped: string[] = [];
  for (const { stem, name, file } of newest.slice(0, maxRuns)) {
    try {
      const { record, mtime } = await readRecord(file);
      runs.push(curvesOf(file, record.sourceName ?? stem, record, mtime));
    } catch (error) {
      skipped.push(`${name} (${(error as Error).message})`);
    }
  }
  // Earlier runs, unless their checkpoint is still there (it was not overwritten after all).
  const current = new Set(runs.map((r) => `${r.name}|${r.createdAt}`));
  const keptDir = path.join(folder, keptRunsFolder);
  const kept = await fs.readdir(keptDir).then((all) => all.filter((n) => n.endsWith(keptSuffix)), () => [] as string[]);
  for (const name of kept) {
    const file = path.join(keptDir, name);
    try {
      const { record, mtime } = await readRecord(file);
      const run = curvesOf(file, record.sourceName ?? name, record, mtime);
      if (current.has(`${run.name}|${run.createdAt}`)) continue;
      runs.push({ ...run, name: `${run.name} (run of ${run.createdAt.slice(0, 19).replace('T', ' ')})` });
    } catch (error) {
      skipped.push(`${keptRunsFolder}/${name} (${(error as Error).message})`);
    }
  }
  runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  runs.splice(maxRuns);
  const note = skipped.length ? `Not read: ${skipped.join('; ')}.` : runs.length === 0 ? `No runs yet in ${folder}.` : undefined;
  return { runs, note };
}
