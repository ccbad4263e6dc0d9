/**
 * The webview gate: every Content-Security-Policy violation, uncaught error and console error in a
 * webview frame (the Lab, the Samples view, the time-series lab: nested iframes of the workbench)
 * is recorded, so that each test, and the run as a whole, fails on one. A CSP violation leaves a
 * webview silently blank where it should show something (an inline style dropped: a bar at full
 * width, a swatch with no colour), so it must never pass unnoticed.
 *
 * Two sources, because each misses something the other sees:
 * - a script run in every frame before its own (`addInitScript`, which Playwright runs in nested
 *   frames too and which no page CSP blocks) listens for `securitypolicyviolation` and `error`
 *   and reports through a binding that tells which frame it came from;
 * - the browser's console: Chromium's own messages (the CSP report, a failed resource load) and
 *   the webviews' console.error.
 * Only webview frames count: the workbench's own noise (an extension gallery it cannot reach,
 * `open-vsx.org ENOTFOUND`, 404s for `vsda`, "Timed out getting tasks from typescript") is not
 * ours to fix and comes from the workbench's own scripts, so it is left out by where it comes from,
 * not by a list of messages.
 */
import type { Frame, Page } from 'playwright-core';
import type { WebviewProblem } from '../hookProtocol';

/** The path every VS Code webview frame is served from (its host frame and the content frame inside it). */
const webviewPath = '/contrib/webview/browser/pre/';

/**
 * Where webview content comes from: VS Code serves a webview's resources from *.vscode-cdn.net
 * (code-server included), and a console message's location names the script (our bundles in
 * dist/webview/) rather than the frame.
 */
const webviewAssets = /\.vscode-cdn\.net\/|\.vscode-resource\.|\/dist\/webview\//;

/**
 * Messages from webview frames that are not faults of ours, each with why.
 * (Kept empty unless a run shows one; every entry must say what it is and why it is harmless.)
 */
const allowed: Array<{ pattern: RegExp; why: string }> = [];

export function isWebviewUrl(url: string): boolean {
  return url.includes(webviewPath) || webviewAssets.test(url);
}

function isAllowed(text: string): boolean {
  return allowed.some(({ pattern }) => pattern.test(text));
}

/** What the init script reports (it runs in the page, so it can only send plain data). */
interface FrameReport {
  kind: 'csp' | 'error';
  text: string;
}

export class WebviewProblems {
  readonly problems: WebviewProblem[] = [];

  private add(problem: WebviewProblem): void {
    if (isAllowed(problem.text)) return;
    // The CSP violation reaches us twice (the event and Chromium's console line): keep one.
    if (this.problems.some((p) => p.text === problem.text && p.url === problem.url)) return;
    this.problems.push(problem);
  }

  /** Starts listening on `page`; call before the first navigation. */
  async watch(page: Page): Promise<void> {
    await page.exposeBinding('rnnLabReportWebviewProblem', ({ frame }: { frame: Frame }, report: FrameReport) => {
      if (frame === page.mainFrame() || !isWebviewUrl(frame.url())) return;
      this.add({ kind: report.kind, text: report.text, url: frame.url() });
    });
    await page.addInitScript(() => {
      const report = (kind: 'csp' | 'error', text: string) => {
        const send = (window as unknown as { rnnLabReportWebviewProblem?: (r: { kind: string; text: string }) => void }).rnnLabReportWebviewProblem;
        send?.({ kind, text });
      };
      document.addEventListener('securitypolicyviolation', (e) => {
        const sample = e.sample ? ` "${e.sample}"` : '';
        report('csp', `CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || 'an inline resource'}${sample} at ${e.sourceFile}:${e.lineNumber}`);
      });
      window.addEventListener('error', (e) => report('error', `uncaught error: ${e.message} at ${e.filename}:${e.lineno}`));
      window.addEventListener('unhandledrejection', (e) => report('error', `unhandled rejection: ${String((e as PromiseRejectionEvent).reason)}`));
    });
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const url = message.location().url;
      if (!isWebviewUrl(url)) return;
      const text = message.text();
      this.add({ kind: /Content Security Policy/i.test(text) ? 'csp' : 'console', text, url });
    });
  }
}
