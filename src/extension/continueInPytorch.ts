/**
 * "RNN Lab: Continue in PyTorch…": writes the model's PyTorch folder (model.py, train.py with
 * torchrun, predict.py, the weights) and opens its README, which says how to train on and how to
 * bring the result back ("Open model…" takes the folder).
 *
 * The model is the one given (a checkpoint or a PyTorch folder), else the current run's or opened
 * model's, else one the user picks. Keras files go through `rnn-lab export --keras-weights F
 * --pytorch DIR`: reading HDF5 here would put its WebAssembly library into the extension's bundle.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadCheckpoint, usableParams } from '../engine/model/io/checkpoint';
import type { LoadedModel } from '../engine/model/io/load';
import { loadPytorchFolder } from '../engine/model/io/pytorch';
import { writePytorchFolder } from '../engine/model/io/pytorchExport';
import type { RunController } from './runController';
import { isKerasWeightsPath } from './modelVocabulary';

export const continueInPytorchCommand = 'rnnLab.continueInPytorch';

/** Optional arguments after the model's Uri: where to write (else asked), for scripts and tests. */
export interface ContinueInPytorchArgs {
  folder?: string;
}

async function modelAt(file: string): Promise<LoadedModel> {
  if ((await stat(file)).isDirectory()) return loadPytorchFolder(file);
  const checkpoint = await loadCheckpoint(file, { weightsOnly: true });
  return { kind: 'checkpoint', path: file, spec: checkpoint.spec, params: usableParams(checkpoint), tokenizer: checkpoint.tokenizer, notes: [], checkpoint };
}

/** Returns the folder written, or undefined when the user cancelled or it failed (a message says why). */
export async function continueInPytorch(controller: RunController, uri: vscode.Uri | undefined, args: ContinueInPytorchArgs = {}): Promise<string | undefined> {
  let source = uri?.fsPath ?? controller.runState().checkpointPath;
  if (!source) {
    const picked = await vscode.window.showOpenDialog({
      title: 'RNN Lab: Continue in PyTorch: which model?', openLabel: 'Continue in PyTorch', canSelectMany: false,
      filters: { 'RNN Lab checkpoints': ['rnnlab', 'json'] },
    });
    source = picked?.[0]?.fsPath;
    if (!source) return undefined;
  }
  if (isKerasWeightsPath(source)) {
    void vscode.window.showErrorMessage(`RNN Lab: ${path.basename(source)} is Keras weights: write its PyTorch folder with "rnn-lab export --keras-weights ${source} --pytorch DIR".`);
    return undefined;
  }
  let folder = args.folder;
  if (!folder) {
    const base = path.basename(source).replace(/\.(rnnlab|json)$/i, '');
    const chosen = await vscode.window.showSaveDialog({
      title: 'RNN Lab: Continue in PyTorch: the folder to write',
      saveLabel: 'Write PyTorch folder',
      defaultUri: vscode.Uri.file(path.join(path.dirname(source), `${base}-pytorch`)),
    });
    if (!chosen) return undefined;
    folder = chosen.fsPath;
  }
  try {
    await writePytorchFolder(folder, await modelAt(source));
  } catch (error) {
    void vscode.window.showErrorMessage(`RNN Lab: Continue in PyTorch: ${(error as Error).message}`);
    return undefined;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, 'README.md')), { preview: false });
  void vscode.window.showInformationMessage(`RNN Lab: wrote ${folder}. Train there with "python3 train.py" or "torchrun --nproc_per_node=N train.py"; open the result with "Open model…".`);
  return folder;
}
