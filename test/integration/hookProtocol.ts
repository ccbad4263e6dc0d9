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
 *   GET  /webview-problems?since=N -> WebviewProblemsReply: CSP violations and errors in webviews
 *   GET  /webview-styles?selector=S&properties=P[&in=workbench] -> WebviewStylesReply: computed styles of
 *                                 webview elements (with in=workbench: of the workbench's own, such as a hover)
 *   POST /hover?selector=S&text=T -> ActionReply: moves the mouse over a workbench element (its hover opens)
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

/** A CSP violation, uncaught error or console error in a webview frame (the runner records them all). */
export interface WebviewProblem {
  kind: 'csp' | 'error' | 'console';
  text: string;
  /** The frame (or, for a console message, the script) it came from. */
  url: string;
}

/** GET /webview-problems?since=N -> the problems recorded from the N-th on, and how many there are in all. */
export interface WebviewProblemsReply {
  problems: WebviewProblem[];
  total: number;
}

/** GET /webview-styles?selector=S&properties=a,b -> the computed style of each matching webview element. */
export interface WebviewStylesReply {
  /** One entry per matching element, with the properties asked for, its box width and its top in its document (px). */
  styles: Array<Record<string, string> & { boxWidth: string; pageTop: string }>;
}
