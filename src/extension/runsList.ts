/**
 * "Compare runs": this workspace's runs, read from the checkpoints in its checkpoint folder. One
 * run per trained file (its `-last` checkpoint, else its `-best`), with the loss histories the
 * checkpoint carries. Read asynchronously; very large files are skipped with a note rather than
 * parsed on the extension host.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunCurves } from '../protocol/messages';

const suffix = '.rnnlab.json';
/** Checkpoints above this size are not read here (their weights dominate; the curves are small). */
const maxBytes = 64 * 1024 * 1024;
const maxRuns = 30;

export async function listRuns(folder: string): Promise<{ runs: RunCurves[]; note?: string }> {
  let names: string[];
  try {
    names = (await fs.readdir(folder)).filter((n) => n.endsWith(suffix));
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
  const runs: RunCurves[] = [];
  const skipped: string[] = [];
  for (const [stem, name] of [...byStem].slice(0, maxRuns)) {
    const file = path.join(folder, name);
    try {
      const stat = await fs.stat(file);
      if (stat.size > maxBytes) { skipped.push(`${name} (${(stat.size / 2 ** 20).toFixed(0)} MB)`); continue; }
      const raw = JSON.parse(await fs.readFile(file, 'utf8')) as {
        sourceName?: string; createdAt?: string; step?: number; bestValLoss?: number | null;
        history?: { train?: RunCurves['train']; val?: RunCurves['val'] };
      };
      const val = Array.isArray(raw.history?.val) ? raw.history!.val! : [];
      const withEpoch = val.find((v) => typeof v.epoch === 'number' && v.epoch > 0);
      runs.push({
        id: file,
        name: raw.sourceName ?? stem,
        createdAt: raw.createdAt ?? stat.mtime.toISOString(),
        step: raw.step ?? 0,
        bestValLoss: raw.bestValLoss ?? null,
        stepsPerEpoch: withEpoch ? withEpoch.step / withEpoch.epoch! : undefined,
        train: Array.isArray(raw.history?.train) ? raw.history!.train! : [],
        val,
      });
    } catch (error) {
      skipped.push(`${name} (${(error as Error).message})`);
    }
  }
  runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const note = skipped.length ? `Not read: ${skipped.join('; ')}.` : runs.length === 0 ? `No runs yet in ${folder}.` : undefined;
  return { runs, note };
}
