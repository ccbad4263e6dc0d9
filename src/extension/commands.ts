/**
 * The RNN Lab commands. `rnnLab.train` decides what to train on (a file the trainer reads itself,
 * or the editor's text for untitled, unsaved or virtual documents, or the selection) and starts a
 * run; the rest drive the current run.
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { onDemandSampleLength, type TrainConfig, type TrainSource } from '../protocol/messages';
import { configSection, presetOverSettings, readNodePath, readTrainConfig } from './config';
import { LabPanel } from './labPanel';
import { checkpointFolderOf } from '../engine/train/runFolder';
import { showRunProgress } from './progress';
import type { RunController } from './runController';
import { chooseVocabulary, isKerasWeightsPath, type VocabularyChoice } from './modelVocabulary';
import { findPreset, presets, type Preset } from '../engine/config/presets';
import { dataModes, settingKeys, type SettingKey } from '../engine/config';

type DataMode = (typeof dataModes)[number];
import { targetEditor, type WebviewDeps } from './webviewHost';
import { continueInPytorch, continueInPytorchCommand, type ContinueInPytorchArgs } from './continueInPytorch';
import { CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE } from '../engine/model/io/pytorch';

export const commandIds = {
  train: 'rnnLab.train',
  stop: 'rnnLab.stop',
  pause: 'rnnLab.pause',
  resume: 'rnnLab.resume',
  showLab: 'rnnLab.showLab',
  sample: 'rnnLab.sample',
  openCheckpointFolder: 'rnnLab.openCheckpointFolder',
  newRun: 'rnnLab.newRun',
  openModel: 'rnnLab.openModel',
  resumeFromCheckpoint: 'rnnLab.resumeFromCheckpoint',
  continueInPytorch: continueInPytorchCommand,
} as const;

export interface CommandDeps {
  context: vscode.ExtensionContext;
  controller: RunController;
  log: vscode.LogOutputChannel;
}

/** Optional arguments of `rnnLab.sample` (the Lab panel's Sample control sends all three). */
export interface SampleArgs {
  prime?: string;
  length?: number;
  temperature?: number;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { context, controller } = deps;
  const register = (id: string, run: (...args: unknown[]) => unknown) => vscode.commands.registerCommand(id, run);
  return [
    register(commandIds.train, (arg, options) => train(deps, arg instanceof vscode.Uri ? arg : undefined, trainOptions(options))),
    register(commandIds.stop, () => controller.stop()),
    register(commandIds.pause, () => controller.pause()),
    register(commandIds.resume, () => controller.resume()),
    register(commandIds.showLab, () => LabPanel.createOrShow(context.extensionUri, webviewDeps(deps), true)),
    register(commandIds.sample, (arg) => sample(deps, (arg ?? {}) as SampleArgs)),
    register(commandIds.openCheckpointFolder, () => openCheckpointFolder(deps)),
    register(commandIds.newRun, () => newRun(deps)),
    register(commandIds.openModel, (arg, vocabulary) => openModel(deps, arg instanceof vscode.Uri ? arg : undefined, vocabularyArg(vocabulary))),
    register(commandIds.resumeFromCheckpoint, (arg, options) =>
      resumeFromCheckpoint(deps, arg instanceof vscode.Uri ? arg : undefined, (options ?? {}) as ResumeArgs)),
    register(commandIds.continueInPytorch, (arg, options) =>
      continueInPytorch(controller, arg instanceof vscode.Uri ? arg : undefined, (options ?? {}) as ContinueInPytorchArgs)),
  ];
}

/**
 * `rnnLab.train`'s optional second argument: a preset by name, and optionally a data mode over it
 * (the Lab's sentences-against-windows card trains one model in lines mode and in windows).
 */
function trainOptions(value: unknown): { preset?: Preset } {
  const { preset: name, mode } = (value ?? {}) as { preset?: unknown; mode?: unknown };
  const preset = typeof name === 'string' ? findPreset(name) : undefined;
  if (!preset) return {};
  if (!(dataModes as readonly unknown[]).includes(mode)) return { preset };
  return { preset: { ...preset, config: { ...preset.config, mode: mode as DataMode } } };
}

async function train(deps: CommandDeps, uri: vscode.Uri | undefined, options: { preset?: Preset } = {}): Promise<void> {
  const chosen = uri ? await sourceFromUri(uri) : await sourceFromActiveEditor();
  if (!chosen) return;
  const { preset } = options;
  if (preset) {
    // Named after its mode too, so runs of one file in different modes keep their own checkpoints (Compare runs).
    const ext = path.extname(chosen.source.name);
    const mode = preset.config.mode ?? 'stream';
    chosen.source = { ...chosen.source, name: `${path.basename(chosen.source.name, ext)} (${mode})${ext}` };
  }
  await startRun(deps, chosen, preset);
}

/** Starts a run on `chosen` with the settings (and a preset over them, when one was picked). */
async function startRun(deps: CommandDeps, chosen: ChosenSource, preset?: Preset): Promise<void> {
  const { context, controller, log } = deps;
  if (!(await mayReplaceRun(controller))) return;
  const settings = vscode.workspace.getConfiguration(configSection, chosen.uri);
  const resolved = readTrainConfig(settings);
  for (const problem of resolved.problems) log.warn(`Setting ignored: ${problem}`);
  // A preset picked by name wins over the settings for what it sets, except the budget the user set.
  const config = preset ? presetOverSettings(preset, resolved.config, settingsSetByUser(settings)) : resolved.config;
  if (preset) log.info(`Preset ${preset.name}: ${preset.title}`);
  const execPath = readNodePath(vscode.workspace.getConfiguration(configSection), vscode.workspace.isTrusted);
  if (execPath) log.info(`Trainer runs with ${execPath} (rnnLab.nodePath)`);
  const checkpointDir = checkpointFolder(context, chosen.uri);
  log.info(`Training on ${chosen.source.name} (${chosen.source.kind === 'file' ? chosen.source.path : `${chosen.source.text.length} chars of editor text`}); checkpoints in ${checkpointDir}`);
  controller.start({ source: chosen.source, config, checkpointDir, execPath });
  LabPanel.createOrShow(context.extensionUri, webviewDeps(deps));
  showRunProgress(controller, chosen.source.name);
}

/** The settings given a value in the user's, workspace's or folder's settings (not left at the default). */
function settingsSetByUser(settings: vscode.WorkspaceConfiguration): Set<SettingKey> {
  return new Set(settingKeys.filter((key) => {
    const where = settings.inspect(key);
    return where !== undefined && (where.globalValue !== undefined || where.workspaceValue !== undefined || where.workspaceFolderValue !== undefined);
  }));
}

/** True when nothing runs, or the user agreed to stop the run in progress. */
async function mayReplaceRun(controller: RunController): Promise<boolean> {
  if (!controller.isRunning) return true;
  const stopIt = 'Stop and Start New';
  const answer = await vscode.window.showWarningMessage('RNN Lab: a training run is in progress. Stop it and start a new one?', { modal: true }, stopIt);
  return answer === stopIt;
}

/** "New training run…": a preset, then the open file or the preset's bundled text. */
async function newRun(deps: CommandDeps): Promise<void> {
  const items = presets.map((preset) => {
    const [label, ...rest] = preset.title.split(': ');
    return { label, detail: rest.join(': '), description: preset.name, preset };
  });
  const picked = await vscode.window.showQuickPick(items, { title: 'RNN Lab: New training run', placeHolder: 'Choose a set-up', matchOnDetail: true });
  if (!picked) return;
  const preset = picked.preset;
  const editor = vscode.window.activeTextEditor;
  const bundled = preset.corpus ? vscode.Uri.joinPath(deps.context.extensionUri, 'samples', preset.corpus) : undefined;
  let chosen: ChosenSource | undefined;
  if (editor && bundled) {
    const onFile = { label: `Train on ${displayName(editor.document.uri)}`, description: 'the open file', file: true };
    const onSample = { label: `Train on ${preset.corpus}`, description: 'the text that comes with this preset', file: false };
    const where = await vscode.window.showQuickPick([onSample, onFile], { title: `RNN Lab: ${picked.label}: what should the model learn?` });
    if (!where) return;
    chosen = where.file ? await sourceFromActiveEditor() : await sourceFromUri(bundled);
  } else if (bundled) {
    chosen = await sourceFromUri(bundled);
  } else {
    chosen = await sourceFromActiveEditor();
  }
  if (!chosen) return;
  await startRun(deps, chosen, preset);
}

/** Optional arguments of `rnnLab.resumeFromCheckpoint` (after the checkpoint's Uri). */
export interface ResumeArgs {
  /** Steps to train beyond the checkpoint's; 0 = up to the run's own budget. Asked for when absent. */
  moreSteps?: number;
}

/** Asks for a model file (a checkpoint, unless `filters` says more), starting in the workspace's checkpoint folder. */
async function pickCheckpoint(
  context: vscode.ExtensionContext, title: string, openLabel: string, filters: Record<string, string[]> = { 'RNN Lab checkpoints': ['rnnlab', 'json'] },
): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    openLabel,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(checkpointFolder(context, vscode.window.activeTextEditor?.document.uri)),
    filters,
  });
  return picked?.[0];
}

/** The checkpoint to use, refused (with a message) when it is not a local file. */
function localFile(target: vscode.Uri | undefined): vscode.Uri | undefined {
  if (target && target.scheme !== 'file') {
    void vscode.window.showErrorMessage(`RNN Lab: choose a checkpoint on disk (${target.toString()} is not a local file).`);
    return undefined;
  }
  return target;
}

/** What a trainer that serves or continues a checkpoint is started with: the Node to run it and the backend setting. */
function serveOptions(): { execPath: string | undefined; backend: TrainConfig['backend'] } {
  const settings = vscode.workspace.getConfiguration(configSection);
  return { execPath: readNodePath(settings, vscode.workspace.isTrusted), backend: readTrainConfig(settings).config.backend };
}

/** "Resume from checkpoint…": continues a run where its checkpoint left it (same settings, text and state). */
async function resumeFromCheckpoint(deps: CommandDeps, uri: vscode.Uri | undefined, args: ResumeArgs): Promise<void> {
  const { context, controller, log } = deps;
  const target = localFile(uri ?? (await pickCheckpoint(context, 'RNN Lab: Resume from checkpoint', 'Resume')));
  if (!target) return;
  let moreSteps = args.moreSteps;
  if (moreSteps === undefined) {
    const answer = await vscode.window.showInputBox({
      title: 'RNN Lab: Resume from checkpoint',
      prompt: 'Train how many more steps? Leave empty to continue up to the run\'s own budget.',
      validateInput: (v) => (v.trim() === '' || (Number.isInteger(Number(v)) && Number(v) > 0) ? undefined : 'a whole number of steps, or empty'),
    });
    if (answer === undefined) return;
    moreSteps = answer.trim() === '' ? 0 : Number(answer);
  }
  if (!(await mayReplaceRun(controller))) return;
  // A run's checkpoint lies in its run folder: the new checkpoints go to the folder above the runs.
  const checkpointDir = checkpointFolderOf(target.fsPath);
  log.info(`Resuming ${target.fsPath}${moreSteps ? ` for ${moreSteps} more steps` : ''}; checkpoints in ${checkpointDir}`);
  controller.continueFrom({ checkpoint: target.fsPath, checkpointDir, moreSteps: moreSteps || undefined, ...serveOptions() });
  LabPanel.createOrShow(context.extensionUri, webviewDeps(deps));
  showRunProgress(controller, path.basename(target.fsPath));
}

/** The optional second argument of rnnLab.openModel: `{ vocab }` or `{ vocabText }`, file paths. */
function vocabularyArg(arg: unknown): VocabularyChoice {
  const a = (arg ?? {}) as Record<string, unknown>;
  return { vocab: typeof a.vocab === 'string' ? a.vocab : undefined, vocabText: typeof a.vocabText === 'string' ? a.vocabText : undefined };
}

/**
 * A file picked inside a PyTorch folder (its config.json or weights.safetensors) stands for the
 * folder: file dialogs cannot offer files and folders at once on every platform.
 */
async function pytorchFolderOf(target: vscode.Uri): Promise<vscode.Uri> {
  const name = path.basename(target.fsPath);
  if (name !== CONFIG_FILE && name !== WEIGHTS_FILE) return target;
  const dir = path.dirname(target.fsPath);
  const isFile = (f: string) => fs.stat(path.join(dir, f)).then((s) => s.isFile(), () => false);
  return (await isFile(CONFIG_FILE)) && (await isFile(VOCAB_FILE)) && (await isFile(WEIGHTS_FILE)) ? vscode.Uri.file(dir) : target;
}

/**
 * "Open model…": a checkpoint, Keras weights (.h5) or a PyTorch folder (train.py's output),
 * served without training, for the hover, the Samples view and samples. A Keras file without a
 * vocabulary beside it asks for one.
 */
async function openModel(deps: CommandDeps, uri: vscode.Uri | undefined, given: VocabularyChoice): Promise<void> {
  const { context, controller, log } = deps;
  const picked = uri ?? (await pickCheckpoint(context, 'RNN Lab: Open model', 'Open model', {
    'Models': ['rnnlab', 'json', 'h5', 'hdf5', 'safetensors'], 'RNN Lab checkpoints': ['rnnlab', 'json'], 'Keras weights': ['h5', 'hdf5'],
    'PyTorch folder (its config.json or weights.safetensors)': ['json', 'safetensors'],
  }));
  const target = localFile(picked && (await pytorchFolderOf(picked)));
  if (!target) return;
  let vocabulary: VocabularyChoice = {};
  if (isKerasWeightsPath(target.fsPath)) {
    const chosen = await chooseVocabulary(context, target.fsPath, given);
    if (!chosen) return;
    vocabulary = chosen;
  }
  if (!(await mayReplaceRun(controller))) return;
  log.info(`Opening model ${target.fsPath}`);
  controller.open(target.fsPath, { ...serveOptions(), ...vocabulary });
  LabPanel.createOrShow(context.extensionUri, webviewDeps(deps));
}

interface ChosenSource {
  source: TrainSource;
  uri: vscode.Uri;
}

function displayName(uri: vscode.Uri): string {
  return path.posix.basename(uri.path) || uri.toString();
}

/** Saved files on disk are read by the trainer; anything else is sent as the editor's text. */
function sourceFromDocument(document: vscode.TextDocument): TrainSource {
  const name = displayName(document.uri);
  if (document.uri.scheme === 'file' && !document.isUntitled && !document.isDirty) {
    return { kind: 'file', path: document.uri.fsPath, name };
  }
  return { kind: 'text', text: document.getText(), name };
}

async function sourceFromUri(uri: vscode.Uri): Promise<ChosenSource | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return { source: sourceFromDocument(open), uri };
  if (uri.scheme === 'file') return { source: { kind: 'file', path: uri.fsPath, name: displayName(uri) }, uri };
  try {
    return { source: sourceFromDocument(await vscode.workspace.openTextDocument(uri)), uri };
  } catch (error) {
    void vscode.window.showErrorMessage(`RNN Lab: cannot open ${uri.toString()} as text (${(error as Error).message}).`);
    return undefined;
  }
}

async function sourceFromActiveEditor(): Promise<ChosenSource | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showErrorMessage('RNN Lab: open a text file (or select some text) to train on, then run "Train char-LSTM on this file" again.');
    return undefined;
  }
  const document = editor.document;
  const selection = editor.selection;
  if (!selection.isEmpty) {
    const selected = document.getText(selection);
    const onSelection = { label: `Train on the selection (${selected.length.toLocaleString('en-US')} chars)`, useSelection: true };
    const onFile = { label: 'Train on the whole file', useSelection: false };
    const pick = await vscode.window.showQuickPick([onSelection, onFile], { title: 'RNN Lab: what should the model learn?' });
    if (!pick) return undefined;
    if (pick.useSelection) {
      return { source: { kind: 'text', text: selected, name: `${displayName(document.uri)} (selection)` }, uri: document.uri };
    }
  }
  return { source: sourceFromDocument(document), uri: document.uri };
}

/** What the webviews need: the run, and this workspace's checkpoint folder (compare runs). */
export function webviewDeps(deps: Pick<CommandDeps, 'context' | 'controller'>): WebviewDeps {
  // The editor the Lab's buttons train (the text editor beside it while the Lab has focus).
  return { controller: deps.controller, checkpointFolder: () => checkpointFolder(deps.context, targetEditor()?.document.uri) };
}

/** `.rnnlab/` in the file's workspace folder (or the first one); the extension's global storage without a folder. */
export function checkpointFolder(context: vscode.ExtensionContext, uri?: vscode.Uri): string {
  const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
  if (folder && folder.uri.scheme === 'file') return path.join(folder.uri.fsPath, '.rnnlab');
  return path.join(context.globalStorageUri.fsPath, 'checkpoints');
}

async function sample(deps: CommandDeps, args: SampleArgs): Promise<string | undefined> {
  const { context, controller } = deps;
  if (!controller.hasModel) {
    void vscode.window.showInformationMessage('RNN Lab: there is no model to sample from yet. Run "RNN Lab: Train char-LSTM on this file" first.');
    return undefined;
  }
  const settings = readTrainConfig(vscode.workspace.getConfiguration(configSection)).config;
  const prime = typeof args.prime === 'string' ? args.prime : settings.prime;
  const length = typeof args.length === 'number' && args.length > 0 ? onDemandSampleLength(args.length) : settings.sampleLength;
  const temperature = typeof args.temperature === 'number' && args.temperature >= 0 ? Math.min(2, args.temperature) : settings.temperature;
  // Show the Lab first, so the sample lands in a visible panel (it also stays in the run's snapshot).
  LabPanel.createOrShow(context.extensionUri, webviewDeps(deps));
  const text = await controller.sample(prime, length, temperature);
  if (text === undefined) void vscode.window.showWarningMessage('RNN Lab: the trainer did not answer the sample request in time.');
  return text;
}

async function openCheckpointFolder(deps: CommandDeps): Promise<void> {
  const { context, controller } = deps;
  const checkpoint = controller.runState().checkpointPath;
  const target = checkpoint ?? checkpointFolder(context, vscode.window.activeTextEditor?.document.uri);
  try {
    await fs.stat(target);
  } catch {
    void vscode.window.showInformationMessage(`RNN Lab: no checkpoints yet (they go to ${target}).`);
    return;
  }
  const uri = vscode.Uri.file(target);
  const insideWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
  await vscode.commands.executeCommand(insideWorkspace ? 'revealInExplorer' : 'revealFileInOS', uri);
}
