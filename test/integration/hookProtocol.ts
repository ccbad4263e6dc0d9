/**
 * The loopback "browser hook": a tiny HTTP server run by the test runner, which drives the browser
 * that shows the workbench. Tests inside the extension host cannot see webviews or notifications
 * (they live in the browser), so they ask the hook:
 *   GET  /frames               -> FramesReply: the visible text of every frame, webview iframes included
 *   GET  /notifications        -> NotificationsReply: the notifications on screen (toasts, and the
 *                                 notification center when open), with their severity
 *   GET  /elements?selector=S  -> ElementsReply: the text of the workbench's visible elements that
 *                                 match the CSS selector S (a hover, the QuickPick, its focused row)
 *   GET  /webview-elements?selector=S -> ElementsReply: the text of the elements inside webviews that match S
 *   POST /click?selector=S     -> ActionReply: clicks the first element inside a webview that matches S
 *   POST /fill?selector=S&value=V -> ActionReply: types V into the first matching input inside a webview
 *   POST /screenshot?name=NAME -> ScreenshotReply: saves test-results/NAME.png
 * The runner hands the hook's address to the extension host in this environment variable; without
 * it (for example under @vscode/test-electron) the webview checks are skipped.
 */
export const hookEnvVar = 'RNN_LAB_TEST_HOOK';

export interface FrameText {
  /** True for the workbench itself; webviews are nested frames. */
  main: boolean;
  url: string;
  /** The frame's `name` attribute; VS Code names webview frames after their view. */
  name: string;
  text: string;
}

export interface FramesReply {
  frames: FrameText[];
}

export interface Notification {
  severity: 'error' | 'warning' | 'info' | 'unknown';
  message: string;
}

export interface NotificationsReply {
  notifications: Notification[];
}

export interface ElementsReply {
  /** One entry per visible matching element, in document order. */
  texts: string[];
}

export interface ScreenshotReply {
  path: string;
}

export interface ActionReply {
  done: boolean;
}
