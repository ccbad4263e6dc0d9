/**
 * "Compare runs": this workspace's runs, read from its checkpoint folder: each run folder's small
 * `run.json` (runs/<file>/<runId>/, see engine/train/runFolder.ts), the flat `<file>-last.rnnlab.json`
 * (else `-best`) checkpoints of older builds, and the curves files those builds kept in `runs/`.
 * Weights are never parsed here: very large older checkpoints are skipped with a note.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunCurves } from '../protocol/messages';
import { symbolUnit } from '../protocol/lossFormat';
import { CHECKPOINT_SUFFIX, readCheckpointSummary } from '../engine/model/io/checkpoint';
import { legacyCheckpointKind, LEGACY_SUFFIX, RUN_RECORD, RUNS_FOLDER, type RunRecord as RunFolderRecord } from '../engine/train/runFolder';

const keptSuffix = '.curves.json';
/** Where older builds kept the curves of earlier runs, inside the checkpoint folder (now also the run folders' parent). */
export const keptRunsFolder = RUNS_FOLDER;
/** Checkpoints above this size are not read here (their weights dominate; the curves are small). */
const maxBytes = 64 * 1024 * 1024;
const maxRuns = 30;

/**
 * What a checkpoint, or a kept run's curves file, says about its run. The best validation loss is
 * `best.valLoss` in a checkpoint (format 2) and `bestValLoss` in a curves file and a format-1 one.
 */
interface RunRecord {
  sourceName?: string; createdAt?: string; step?: number; bestValLoss?: number | null; best?: { valLoss?: number | null };
  /** run.json's own field; a checkpoint's comes from its config. */
  tokens?: string;
  history?: { train?: RunCurves['train']; val?: RunCurves['val'] };
}

function bestValLossOf(record: RunRecord): number | null {
  return record.best?.valLoss ?? record.bestValLoss ?? null;
}

async function readRecord(file: string): Promise<{ record: RunRecord; mtime: Date }> {
  const stat = await fs.stat(file);
  if (file.endsWith(LEGACY_SUFFIX) || file.endsWith(CHECKPOINT_SUFFIX)) {
    // A checkpoint: only its header is read (its weights are most of it).
    const s = await readCheckpointSummary(file);
    const record = { sourceName: s.sourceName, createdAt: s.createdAt || undefined, step: s.step, tokens: s.config.tokens, bestValLoss: Number.isFinite(s.bestValLoss) ? s.bestValLoss : null, history: { train: s.trainHistory, val: s.valHistory } };
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
    tokens: symbolUnit(record.tokens),
    stepsPerEpoch: withEpoch ? withEpoch.step / withEpoch.epoch! : undefined,
    train: Array.isArray(record.history?.train) ? record.history!.train! : [],
    val,
  };
}

export async function listRuns(folder: string): Promise<{ runs: RunCurves[]; note?: string }> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return { runs: [], note: `No runs yet: checkpoints go to ${folder} when a run trains.` };
  }
  const skipped: string[] = [];
  const runs = [...await listRunFolders(folder, skipped), ...await listLegacyCheckpoints(folder, names, skipped)];
  // Curves kept by older builds, unless their checkpoint is still there (it was not overwritten after all).
  const current = new Set(runs.map((r) => `${r.name}|${r.createdAt}`));
  const keptDir = path.join(folder, keptRunsFolder);
  const kept = await fs.readdir(keptDir).then((all) => all.filter((n) => n.endsWith(keptSuffix)), () => [] as string[]);
  for (const name of kept) {
    const file = path.join(keptDir, name);
    try {
      const { record, mtime } = await readRecord(file);
      const run = curvesOf(file, record.sourceName ?? name, record, mtime);
      if (current.has(`${run.name}|${run.createdAt}`)) continue;
      runs.push({ ...run, name: olderRunName(run) });
    } catch (error) {
      skipped.push(`${keptRunsFolder}/${name} (${(error as Error).message})`);
    }
  }
  runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  runs.splice(maxRuns);
  const note = skipped.length ? `Not read: ${skipped.join('; ')}.` : runs.length === 0 ? `No runs yet in ${folder}.` : undefined;
  return { runs, note };
}

function olderRunName(run: RunCurves): string {
  return `${run.name} (run of ${run.createdAt.slice(0, 19).replace('T', ' ')})`;
}

/**
 * One entry per run folder, from its run.json. Its id is the run's final checkpoint (its best one
 * while it has none), as the Lab names the run it shows. Each file's newest run has the file's
 * name; earlier ones say when they ran.
 */
async function listRunFolders(folder: string, skipped: string[]): Promise<RunCurves[]> {
  const root = path.join(folder, RUNS_FOLDER);
  const stems = await fs.readdir(root, { withFileTypes: true }).then((all) => all.filter((e) => e.isDirectory()).map((e) => e.name), () => [] as string[]);
  const runs: RunCurves[] = [];
  for (const stem of stems) {
    const runIds = await fs.readdir(path.join(root, stem)).catch(() => [] as string[]);
    const ofFile: RunCurves[] = [];
    for (const runId of runIds) {
      const dir = path.join(root, stem, runId);
      const recordFile = path.join(dir, RUN_RECORD);
      let read: { record: RunFolderRecord; mtime: Date };
      try {
        read = await readRecord(recordFile) as { record: RunFolderRecord; mtime: Date };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') skipped.push(`${RUNS_FOLDER}/${stem}/${runId} (${(error as Error).message})`);
        continue;
      }
      const last = path.join(dir, `last${CHECKPOINT_SUFFIX}`);
      const id = await fs.access(last).then(() => last, () => path.join(dir, `best${CHECKPOINT_SUFFIX}`));
      const { record, mtime } = read;
      ofFile.push(curvesOf(id, record.sourceName ?? stem, { ...record, bestValLoss: record.bestValLoss }, mtime));
    }
    ofFile.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    runs.push(...ofFile.map((run, i) => (i === 0 ? run : { ...run, name: olderRunName(run) })));
  }
  return runs;
}

/** The flat checkpoints of older builds: one per file, its final one (the whole history) when there is one. */
async function listLegacyCheckpoints(folder: string, names: string[], skipped: string[]): Promise<RunCurves[]> {
  const byStem = new Map<string, string>();
  for (const name of names.filter((n) => n.endsWith(LEGACY_SUFFIX)).sort()) {
    const kind = legacyCheckpointKind(name);
    const stem = kind ? kind.stem : name;
    if (!byStem.has(stem) || kind?.kind === 'last') byStem.set(stem, name);
  }
  // They hold their weights, so only the newest `maxRuns` are parsed.
  const newest = await Promise.all([...byStem].map(async ([stem, name]) => {
    const file = path.join(folder, name);
    return { stem, name, file, mtimeMs: await fs.stat(file).then((s) => s.mtimeMs, () => 0) };
  }));
  newest.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const runs: RunCurves[] = [];
  for (const { stem, name, file } of newest.slice(0, maxRuns)) {
    try {
      const { record, mtime } = await readRecord(file);
      runs.push(curvesOf(file, record.sourceName ?? stem, record, mtime));
    } catch (error) {
      skipped.push(`${name} (${(error as Error).message})`);
    }
  }
  return runs;
}
