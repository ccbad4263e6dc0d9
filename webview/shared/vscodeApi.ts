/** The webview's side of the typed channel to the extension host, and its saved state. */
import { isMessageOf } from '../../src/protocol/envelope';
import { hostToWebviewTypes, type HostToWebview, type ToWebviewMessage, type WebviewToHost } from '../../src/protocol/webview';
import type { RunSnapshot } from '../../src/engine/train/events';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function postToHost<K extends keyof WebviewToHost>(type: K, payload: WebviewToHost[K]): void {
  api.postMessage({ type, payload });
}

export function onHostMessage(handler: (message: ToWebviewMessage) => void): void {
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isMessageOf<HostToWebview>(event.data, hostToWebviewTypes)) handler(event.data);
  });
}

export interface SavedState {
  snapshot: RunSnapshot | null;
  /** Per-view extras (the Sample control's inputs). */
  extras?: Record<string, unknown>;
}

export function loadState(): SavedState | undefined {
  const state = api.getState() as SavedState | undefined;
  return state && typeof state === 'object' && 'snapshot' in state ? state : undefined;
}

let pendingState: SavedState | undefined;
let saveTimer: number | undefined;

/** Saves at most once a second: a panel that is hidden and shown again redraws from this before the host answers. */
export function saveState(state: SavedState): void {
  pendingState = state;
  saveTimer ??= window.setTimeout(() => {
    saveTimer = undefined;
    if (pendingState) api.setState(pendingState);
  }, 1000);
}
