/**
 * The cancellable progress notification of a run: step and val bits/char while it trains;
 * Cancel stops the run. It closes when the run ends or another run replaces it.
 */
import * as vscode from 'vscode';
import type { RunController } from './runController';
import { describeProgress, percentDone } from './progressText';
import { isTerminal } from '../protocol/snapshot';

/** Fewer updates than steps: the notification needs no more than a few per second. */
const reportIntervalMs = 250;

export function showRunProgress(controller: RunController, sourceName: string): void {
  const generation = controller.generation;
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `RNN Lab: training on ${sourceName}`, cancellable: true },
    (progress, token) => new Promise<void>((resolve) => {
      let reportedPercent = 0;
      let lastReport = 0;
      const finish = () => { subscription.dispose(); cancel.dispose(); resolve(); };
      const cancel = token.onCancellationRequested(() => { if (controller.generation === generation) controller.stop(); });
      const subscription = controller.onDidUpdate(() => {
        const snapshot = controller.snapshot;
        if (controller.generation !== generation || !snapshot || isTerminal(snapshot.status)) { finish(); return; }
        const now = Date.now();
        if (now - lastReport < reportIntervalMs) return;
        lastReport = now;
        const percent = percentDone(snapshot);
        const increment = percent === undefined ? undefined : percent - reportedPercent;
        if (percent !== undefined) reportedPercent = percent;
        progress.report({ message: describeProgress(snapshot), increment });
      });
    }),
  );
}
