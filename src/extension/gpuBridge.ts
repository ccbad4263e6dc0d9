/**
 * The extension host's side of the WebGPU backend in VS Code. Dawn does not run in VS Code's
 * Electron, but the workbench's Chromium has WebGPU: a trainer that trains on WebGPU connects to
 * the socket this bridge listens on (its path reaches the trainer as RNN_LAB_GPU_SOCKET), and the
 * bridge opens a GPU tab ("RNN Lab GPU", webview/gpu) for that trainer and relays its requests to
 * the tab's `navigator.gpu` and the answers back (protocol/gpu.ts).
 *
 * The tab belongs to the trainer's connection: it opens at the first request and closes when the
 * trainer lets go of the GPU. Closing the tab answers the trainer as a lost device would, so the
 * run goes on on the CPU engine (engine/backends/webgpu/network.ts); the bridge says so through
 * `onDidLoseGpu`, as it does for a device lost inside the tab.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { describeRejected, isMessageOf } from '../protocol/envelope';
import { gpuPageTitle, gpuPageToHostTypes, type GpuPageToHost, type ToGpuPageMessage } from '../protocol/gpu';
import type { GpuAnswer, GpuRequest } from '../engine/backends/webgpu/server';
import { GPU_SOCKET_ENV, readFrames, writeFrame } from '../engine/backends/webgpu/socketFrames';
import { getWebviewOptions, webviewHtml } from './webviewHost';

export const gpuPanelViewType = 'rnnLab.gpu';

/** How long a new GPU tab may take to load its script before the trainer hears that it failed. */
const pageReadyTimeoutMs = 30_000;
/** How long the GPU tab waits for the Lab panel to load before it opens anyway. */
const labLoadWaitMs = 5_000;

/** What the bridge knows, for the Lab's tests and the log. */
export interface GpuState {
  /** Why `auto` was refused the tab's adapter in this window (asked once, then remembered). */
  autoRefusal?: string;
  /** GPU tabs open now. */
  tabs: number;
}

/** What a connection needs of its bridge. */
interface BridgeHooks {
  onLost(message: string): void;
  /** Resolves once the Lab panel a run opens has loaded (see openPanel). */
  labLoaded(): Promise<void>;
  /** The answer `auto`'s probe got in this window when it was a refusal: the same adapter would refuse again. */
  autoRefusal: GpuAnswer | undefined;
}

export class GpuBridge implements vscode.Disposable {
  private server: Server | undefined;
  private readonly socketPath =
    process.platform === 'win32'
      ? `\\\\.\\pipe\\rnn-lab-gpu-${process.pid}-${randomBytes(4).toString('hex')}`
      : join(tmpdir(), `rnn-lab-gpu-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  private readonly connections = new Set<GpuConnection>();
  private readonly lost = new vscode.EventEmitter<string>();
  /**
   * `auto` asks for a hardware adapter at every run; where the tab has none (only SwiftShader, or
   * no WebGPU) the answer will not change within this window, so it is asked once: later runs
   * open no tab just to hear it again.
   */
  private readonly hooks: BridgeHooks;
  /** A trainer's GPU went away mid-run (the tab was closed, or the device was lost); the message says what the run does. */
  readonly onDidLoseGpu = this.lost.event;

  /** `labLoaded`: resolves once the Lab panel, if one is opening, has loaded. */
  constructor(private readonly extensionUri: vscode.Uri, labLoaded: () => Promise<void> = async () => {}) {
    this.hooks = { onLost: (message) => this.lost.fire(message), labLoaded, autoRefusal: undefined };
  }

  /** The variables a trainer needs to reach the bridge; starts listening on the first call. */
  trainerEnv(): Record<string, string> {
    if (!this.server) {
      const server = (this.server = createServer((socket) => this.accept(socket)));
      server.on('error', (error) => console.error(`RNN Lab: the GPU bridge's socket ${this.socketPath} failed: ${error.message}`));
      server.listen(this.socketPath);
    }
    return { [GPU_SOCKET_ENV]: this.socketPath };
  }

  state(): GpuState {
    const refusal = this.hooks.autoRefusal;
    return { autoRefusal: refusal && !refusal.ok ? refusal.error.message : undefined, tabs: [...this.connections].filter((c) => c.panel).length };
  }

  private accept(socket: Socket): void {
    const connection = new GpuConnection(socket, this.extensionUri, this.hooks);
    this.connections.add(connection);
    socket.on('close', () => {
      this.connections.delete(connection);
      connection.dispose();
    });
  }

  dispose(): void {
    for (const connection of this.connections) connection.dispose();
    this.connections.clear();
    this.server?.close();
    if (process.platform !== 'win32') rmSync(this.socketPath, { force: true });
    this.lost.dispose();
  }
}

/** One trainer's GPU: its socket and its tab. */
class GpuConnection {
  panel: vscode.WebviewPanel | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (answer: GpuAnswer) => void>();
  /** Why the GPU is gone (the tab closed); every later request is answered with it. */
  private gone: string | undefined;
  /** Whether the trainer opened a device here (a closed tab then loses a run's GPU, not only a probe's). */
  private opened = false;
  private disposed = false;

  constructor(
    private readonly socket: Socket,
    private readonly extensionUri: vscode.Uri,
    private readonly hooks: BridgeHooks,
  ) {
    // The trainer may end at any moment (a stopped run): its socket's errors end the connection.
    socket.on('error', () => socket.destroy());
    // One request at a time: the trainer waits for each answer.
    let queue = Promise.resolve();
    readFrames(socket, (request) => {
      queue = queue.then(() => this.relay(request as GpuRequest)).then((answer) => {
        if (!socket.destroyed) writeFrame(socket, answer);
      });
    });
  }

  private async relay(request: GpuRequest): Promise<GpuAnswer> {
    const autoProbe = request.op === 'open' && !request.allowSoftware;
    if (autoProbe && this.hooks.autoRefusal) return this.hooks.autoRefusal;
    if (this.gone) return lostAnswer(this.gone);
    await this.openPanel();
    if (this.gone) return lostAnswer(this.gone);
    const requestId = this.nextId++;
    const answer = await new Promise<GpuAnswer>((resolve) => {
      this.pending.set(requestId, resolve);
      const message: ToGpuPageMessage = { type: 'request', payload: { requestId, request } };
      void this.panel!.webview.postMessage(message);
    });
    if (request.op === 'open' && answer.ok) this.opened = true;
    if (autoProbe && !answer.ok && (answer.error.kind === 'software-only' || answer.error.kind === 'no-adapter')) this.hooks.autoRefusal = answer;
    if (!answer.ok && answer.error.kind === 'device-lost' && !this.gone) {
      this.gone = answer.error.message;
      this.hooks.onLost(`RNN Lab: ${answer.error.message}; the run continues on the CPU engine from the weights last read back from the GPU.`);
    }
    return answer;
  }

  /**
   * Opens the tab once the Lab panel a new run opens at the same moment has loaded (or after
   * labLoadWaitMs): two webviews created together make the web workbench's webview service worker
   * race, and a Lab whose resources then fail to load stays blank.
   */
  private openPanel(): Promise<void> {
    this.ready ??= Promise.race([this.hooks.labLoaded(), new Promise<void>((resolve) => setTimeout(resolve, labLoadWaitMs))])
      .then(() => (this.disposed ? undefined : this.createPanel()));
    return this.ready;
  }

  private createPanel(): Promise<void> {
    const panel = (this.panel = vscode.window.createWebviewPanel(gpuPanelViewType, gpuPageTitle, { viewColumn: besideTheLab(), preserveFocus: true }, {
      // The device and the models live in the page: hiding the tab must not end them.
      retainContextWhenHidden: true,
      ...getWebviewOptions(this.extensionUri),
    }));
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'rnn-lab.svg');
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'gpu', gpuPageTitle);
    return new Promise<void>((resolve) => {
      // A tab whose script never runs (a broken bundle, a webview that does not load) must not
      // leave the trainer waiting: it hears that the GPU is unreachable and trains on the CPU.
      const timer = setTimeout(() => {
        this.gone ??= `the RNN Lab GPU tab did not start within ${pageReadyTimeoutMs / 1000} s`;
        resolve();
      }, pageReadyTimeoutMs);
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        if (!isMessageOf<GpuPageToHost>(raw, gpuPageToHostTypes)) return console.warn(`RNN Lab: ignored a message from the GPU tab, ${describeRejected(raw)}`);
        if (raw.type === 'ready') {
          clearTimeout(timer);
          return resolve();
        }
        const { requestId, answer } = raw.payload;
        this.pending.get(requestId)?.(answer);
        this.pending.delete(requestId);
      });
      panel.onDidDispose(() => {
        this.panel = undefined;
        clearTimeout(timer);
        resolve();
        if (this.disposed) return;
        this.gone = 'the RNN Lab GPU tab was closed';
        for (const answer of this.pending.values()) answer(lostAnswer(this.gone));
        this.pending.clear();
        if (this.opened) this.hooks.onLost('RNN Lab: the RNN Lab GPU tab was closed mid-run; the run continues on the CPU engine from the weights last read back from the GPU.');
      });
    });
  }

  /** The trainer let go of the GPU (or the extension ends): the tab goes with it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gone ??= 'the trainer disconnected';
    for (const answer of this.pending.values()) answer(lostAnswer('the trainer disconnected'));
    this.pending.clear();
    this.panel?.dispose();
    this.socket.destroy();
  }
}

/** The editor group after the Lab's (a new one if it is the last), so the GPU tab hides neither the Lab nor the editor. */
function besideTheLab(): vscode.ViewColumn {
  const lab = vscode.window.tabGroups.all.find((group) => group.tabs.some((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('rnnLab.lab')));
  return lab ? lab.viewColumn + 1 : vscode.ViewColumn.Beside;
}

function lostAnswer(why: string): GpuAnswer {
  return { ok: false, error: { name: 'WebGpuError', kind: 'device-lost', message: `the WebGPU device was lost (${why})` } };
}
