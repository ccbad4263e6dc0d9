/**
 * The vocabulary of a Keras weights file, which Keras does not store: RNN Lab's exports put it
 * beside the file (`<name>.vocab.json`); for any other file the user names a JSON list of the
 * symbols in id order, or the training text (the vocabulary then built as seed 004 builds it).
 * The choice is remembered per file, so the model comes back after a window reload.
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';

export interface VocabularyChoice {
  vocab?: string;
  vocabText?: string;
}

const rememberedKey = 'rnnLab.kerasVocabularies';

export function isKerasWeightsPath(file: string): boolean {
  return /\.(h5|hdf5)$/i.test(file);
}

export function rememberedVocabulary(context: vscode.ExtensionContext, modelPath: string): VocabularyChoice {
  return context.workspaceState.get<Record<string, VocabularyChoice>>(rememberedKey, {})[modelPath] ?? {};
}

async function remember(context: vscode.ExtensionContext, modelPath: string, choice: VocabularyChoice): Promise<void> {
  const all = context.workspaceState.get<Record<string, VocabularyChoice>>(rememberedKey, {});
  await context.workspaceState.update(rememberedKey, { ...all, [modelPath]: choice });
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}

/** The vocabulary to open `modelPath` with; undefined when the user cancelled. */
export async function chooseVocabulary(context: vscode.ExtensionContext, modelPath: string, given: VocabularyChoice = {}): Promise<VocabularyChoice | undefined> {
  if (given.vocab || given.vocabText) {
    await remember(context, modelPath, given);
    return given;
  }
  const beside = path.join(path.dirname(modelPath), `${path.basename(modelPath, path.extname(modelPath))}.vocab.json`);
  if (await exists(beside)) return {};
  const remembered = rememberedVocabulary(context, modelPath);
  const rememberedFile = remembered.vocab ?? remembered.vocabText;
  if (rememberedFile && (await exists(rememberedFile))) return remembered;
  const list = { label: 'A vocabulary file…', detail: 'A JSON list of the symbols in id order, such as ["a", " ", "v", …, "S", "E"].', source: 'vocab' as const };
  const text = { label: 'The training text…', detail: 'The text the model was trained on: its characters by first appearance, then S and E (as the seed 004 lab builds its vocabulary).', source: 'vocabText' as const };
  const picked = await vscode.window.showQuickPick([list, text], {
    title: `RNN Lab: ${path.basename(modelPath)} has no vocabulary. Where are its symbols?`,
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  const file = (await vscode.window.showOpenDialog({
    title: picked.source === 'vocab' ? 'RNN Lab: the vocabulary (JSON list of symbols)' : 'RNN Lab: the training text',
    openLabel: 'Use',
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.dirname(modelPath)),
    filters: picked.source === 'vocab' ? { 'JSON': ['json'] } : { 'Text': ['txt'], 'All files': ['*'] },
  }))?.[0];
  if (!file) return undefined;
  const choice = { [picked.source]: file.fsPath };
  await remember(context, modelPath, choice);
  return choice;
}
