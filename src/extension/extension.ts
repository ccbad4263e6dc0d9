/**
 * RNN Lab's extension host side: wires the run controller to the commands, views, status bar,
 * hover and log. It never trains; the trainer runs in its own process (src/trainer).
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RunSnapshot } from '../protocol/messages';
import { GpuBridge, type GpuState } from './gpuBridge';
import { registerCommands, webviewDeps } from './commands';
import { configSection, readNodePath, readTrainConfig } from './config';
import { registerProbabilityHover } from './hover';
import { LabPanel } from './labPanel';
import { rememberedVocabulary } from './modelVocabulary';
import { RunController } from './runController';
import { isTerminal } from '../protocol/snapshot';
import type { RunState } from './runStore';
import { SamplesViewProvider } from './samplesView';
import { SeriesPanel } from './seriesPanel';
import type { SeriesLabState, SeriesRunRequest } from '../protocol/series';
import { SurprisalView, type SurprisalState } from './surprisalView';
import { RunStatusBar } from './statusBar';
import { trackTextDocuments } from './webviewHost';

/** What `activate()` returns, for tests and other extensions. */
export interface RnnLabApi {
  getRunState(): RunState;
  /** The time-series lab's state, while its panel is open. */
  getSeriesLabState(): SeriesLabState | undefined;
  getSurprisalState(): SurprisalState;
  /** The WebGPU tab's bridge: why `auto` was refused its adapter, the GPU tabs open. */
  getGpuState(): GpuState;
}

const savedRunKey = 'rnnLab.lastRun';
/** The history is saved at most this often while a run trains (and at once when it ends). */
const saveIntervalMs = 5_000;

let controller: RunController | undefined;
let saveHistory: (() => Thenable<void>) | undefined;

export function activate(context: vscode.ExtensionContext): RnnLabApi {
  const log = vscode.window.createOutputChannel('RNN Lab', { log: true });
  // A trainer that trains on WebGPU gets its device from a GPU tab (gpuBridge.ts).
  const gpu = new GpuBridge(context.extensionUri, () => LabPanel.whenLoaded());
  const runs = new RunController(vscode.Uri.joinPath(context.extensionUri, 'dist', 'trainer.js').fsPath, () => gpu.trainerEnv());
  controller = runs;

  const surprisal = new SurprisalView(runs);
  const saved = context.workspaceState.get<RunSnapshot>(savedRunKey);
  if (saved && Array.isArray(saved.steps) && Array.isArray(saved.evals)) {
    runs.restore(saved);
    // The model of the restored run comes back from its checkpoint: the hover and samples work again.
    const checkpoint = runs.runState().checkpointPath;
    if (checkpoint && existsSync(checkpoint)) {
      const settings = vscode.workspace.getConfiguration(configSection);
      runs.serve(checkpoint, {
        execPath: readNodePath(settings, vscode.workspace.isTrusted), backend: readTrainConfig(settings).config.backend,
        // A Keras model comes back with the vocabulary it was opened with.
        ...rememberedVocabulary(context, checkpoint),
      });
    }
  }

  context.subscriptions.push(
    log,
    { dispose: () => runs.dispose() },
    gpu,
    gpu.onDidLoseGpu((message) => {
      log.warn(message);
      runs.noteGpuLost(message.replace(/^RNN Lab: /, ''));
      void vscode.window.showWarningMessage(message);
    }),
    runs.onDidLog(({ level, message }) => log[level](message)),
    // A lost model's notice has an action, which keeps it on screen until it is closed.
    runs.onDidFail(({ message, lasting }) => {
      if (!lasting) return void vscode.window.showErrorMessage(`RNN Lab: ${message}`);
      void vscode.window.showErrorMessage(`RNN Lab: ${message}`, 'Open Checkpoint Folder').then((choice) => {
        if (choice) void vscode.commands.executeCommand('rnnLab.openCheckpointFolder');
      });
    }),
    new RunStatusBar(runs),
    // The Lab's cards read the file the user was last in, even when the Lab now hides its editor.
    trackTextDocuments(),
    surprisal,
    vscode.commands.registerCommand('rnnLab.toggleSurprisal', (on?: unknown) => surprisal.toggle(typeof on === 'boolean' ? on : undefined)),
    registerProbabilityHover(runs),
    vscode.window.registerWebviewViewProvider(SamplesViewProvider.viewType, new SamplesViewProvider(context.extensionUri, webviewDeps({ context, controller: runs }))),
    vscode.window.registerWebviewPanelSerializer(LabPanel.viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        // The panel sets its own webview options (the same for a new and a revived panel).
        LabPanel.revive(panel, context.extensionUri, webviewDeps({ context, controller: runs }));
      },
    }),
    ...registerCommands({ context, controller: runs, log }),
    // An optional run request (the CLI's settings) starts that run at once.
    vscode.commands.registerCommand('rnnLab.seriesLab', (request?: SeriesRunRequest) => {
      SeriesPanel.show(context.extensionUri, request && typeof request === 'object' && !(request instanceof vscode.Uri) ? request : undefined);
    }),
    vscode.commands.registerCommand('rnnLab.seriesLabStop', () => SeriesPanel.stopCurrent()),
    SeriesPanel.registerSerializer(context.extensionUri),
    trackContextKeys(runs),
    persistHistory(context, runs),
  );

  return { getRunState: () => runs.runState(), getSeriesLabState: () => SeriesPanel.currentState(), getSurprisalState: () => surprisal.current, getGpuState: () => gpu.state() };
}

export async function deactivate(): Promise<void> {
  await saveHistory?.();
  // Waiting (at most the 2 s before a kill) lets the trainer finish the checkpoint it is writing.
  const gone = controller?.dispose();
  controller = undefined;
  await gone;
}

/** `rnnLab.running`, `rnnLab.paused`, `rnnLab.hasModel` for menus' `when` clauses; set only on change. */
function trackContextKeys(runs: RunController): vscode.Disposable {
  const current = new Map<string, boolean>();
  const set = (key: string, value: boolean) => {
    if (current.get(key) === value) return;
    current.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  };
  const update = () => {
    set('rnnLab.running', runs.isRunning);
    set('rnnLab.paused', runs.isPaused);
    set('rnnLab.hasModel', runs.hasModel);
  };
  update();
  const subscription = runs.onDidUpdate(update);
  return { dispose: () => subscription.dispose() };
}

/** Keeps the run's (bounded) history in workspace state so a reloaded window shows it again. */
function persistHistory(context: vscode.ExtensionContext, runs: RunController): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  // The store keeps the same snapshot object while nothing changes: no need to write it again.
  let saved: RunSnapshot | null | undefined;
  const save = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (runs.snapshot === saved) return;
    saved = runs.snapshot;
    await context.workspaceState.update(savedRunKey, saved ?? undefined);
  };
  saveHistory = save;
  const subscription = runs.onDidUpdate(() => {
    const snapshot = runs.snapshot;
    if (snapshot && isTerminal(snapshot.status)) void save();
    else timer ??= setTimeout(() => void save(), saveIntervalMs);
  });
  return { dispose: () => { subscription.dispose(); if (timer) clearTimeout(timer); } };
}
