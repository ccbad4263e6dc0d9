/** The status-bar item: step and validation bits/char of the current run; a click shows the Lab. */
import * as vscode from 'vscode';
import type { RunSnapshot } from '../protocol/messages';
import type { RunController } from './runController';
import { describeProgress } from './progressText';

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('rnnLab.run', vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: { dispose(): void };
  private lastText = '';

  constructor(controller: RunController) {
    this.item.name = 'RNN Lab';
    this.item.command = 'rnnLab.showLab';
    this.subscription = controller.onDidUpdate(() => this.render(controller.snapshot));
    this.render(controller.snapshot);
  }

  private render(snapshot: RunSnapshot | null): void {
    if (!snapshot) { this.item.hide(); return; }
    const icon = snapshot.status === 'running' || snapshot.status === 'starting' ? '$(sync~spin)'
      : snapshot.status === 'paused' ? '$(debug-pause)'
      : snapshot.status === 'crashed' || snapshot.status === 'error' || snapshot.status === 'diverged' ? '$(error)' : '$(beaker)';
    const text = `${icon} RNN Lab: ${describeProgress(snapshot)}`;
    if (text !== this.lastText) {
      this.lastText = text;
      this.item.text = text;
      // The backend says where training runs: "CUDA, NVIDIA <GPU>, <memory>", or the CPU engine and why not the GPU.
      const backend = snapshot.started ? `\nBackend: ${snapshot.started.backend.description}` : '';
      this.item.tooltip = `RNN Lab: ${snapshot.status}. ${snapshot.statusMessage}${backend}\nClick to show the Lab.`;
    }
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
