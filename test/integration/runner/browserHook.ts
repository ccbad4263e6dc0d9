/**
 * The browser hook's server side (the protocol is in ../hookProtocol.ts): a loopback HTTP server
 * that reads the page the workbench runs in, for tests that run in the extension host and so
 * cannot see webviews or notifications themselves.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type {
  ActionReply, ElementsReply, FrameText, FramesReply, Notification, NotificationsReply, ScreenshotReply, WebviewProblemsReply, WebviewStylesReply,
} from '../hookProtocol';
import type { WebviewProblems } from './webviewProblems';

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** The visible text of every frame: the workbench and each webview (nested iframes included). */
async function frameTexts(page: Page): Promise<FrameText[]> {
  return Promise.all(
    page.frames().map(async (frame) => {
      let text = '';
      try {
        text = await Promise.race([
          frame.evaluate(() => document.body?.innerText ?? ''),
          sleep(2000).then(() => ''),
        ]);
      } catch {
        // The frame went away while we read it (a webview reloading): report it empty.
      }
      return { main: frame === page.mainFrame(), url: frame.url(), name: frame.name(), text };
    }),
  );
}

/**
 * The notifications on screen: the toasts in the corner and, when it is open, the notification
 * center (which also lists those VS Code shows no toast for). The severity is the item's codicon.
 */
function notificationsOnScreen(page: Page): Promise<Notification[]> {
  return page.evaluate(() => {
    const items = document.querySelectorAll<HTMLElement>('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item');
    const found = new Map<string, Notification>();
    for (const item of Array.from(items)) {
      const icon = item.querySelector('.notification-list-item-icon');
      const severity = (['error', 'warning', 'info'] as const).find((name) => icon?.classList.contains(`codicon-${name}`)) ?? 'unknown';
      const message = item.querySelector<HTMLElement>('.notification-list-item-message')?.innerText ?? '';
      found.set(`${severity}:${message}`, { severity, message });
    }
    return [...found.values()];
  });
}

/** The text of the workbench's elements that match `selector` and take up space on screen. */
function visibleTexts(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((css) => Array.from(document.querySelectorAll<HTMLElement>(css))
    .filter((element) => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden')
    .map((element) => element.innerText), selector);
}

/**
 * Runs `act` on the first element matching `selector` inside a webview frame (the workbench's
 * own page is not searched). Returns false when no webview has such an element.
 */
async function inWebviews(page: Page, selector: string, act: (frame: Frame) => Promise<void>): Promise<boolean> {
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    try {
      if ((await frame.locator(selector).count()) > 0) {
        await act(frame);
        return true;
      }
    } catch {
      // The frame went away while we looked (a webview reloading): try the others.
    }
  }
  return false;
}

/** The text of every element inside webview frames that matches `selector`. */
async function webviewTexts(page: Page, selector: string): Promise<string[]> {
  const texts: string[] = [];
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    try {
      texts.push(...await frame.locator(selector).evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).innerText)));
    } catch {
      // A frame that went away has nothing to report.
    }
  }
  return texts;
}

/** The computed `properties` of every element matching `selector`, inside webview frames (or in the workbench itself). */
async function computedStyles(page: Page, selector: string, properties: string[], inWorkbench: boolean): Promise<WebviewStylesReply['styles']> {
  const styles: WebviewStylesReply['styles'] = [];
  for (const frame of page.frames()) {
    if ((frame === page.mainFrame()) !== inWorkbench) continue;
    try {
      styles.push(...await frame.locator(selector).evaluateAll((nodes, names) => nodes.map((n) => {
        const computed = getComputedStyle(n as Element);
        const box = (n as Element).getBoundingClientRect();
        const entry: Record<string, string> = { boxWidth: String(box.width), pageTop: String(box.top + window.scrollY) };
        for (const name of names) entry[name] = computed.getPropertyValue(name);
        return entry as Record<string, string> & { boxWidth: string; pageTop: string };
      }), properties));
    } catch {
      // A frame that went away has nothing to report.
    }
  }
  return styles;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Serves the hook for `page` on a free loopback port; screenshots go to `resultsDir`. */
export async function startHook(page: Page, resultsDir: string, problems: WebviewProblems): Promise<{ server: Server; url: string }> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://hook');
    if (req.method === 'GET' && url.pathname === '/frames') {
      const reply: FramesReply = { frames: await frameTexts(page) };
      sendJson(res, 200, reply);
    } else if (req.method === 'GET' && url.pathname === '/notifications') {
      const reply: NotificationsReply = { notifications: await notificationsOnScreen(page) };
      sendJson(res, 200, reply);
    } else if (req.method === 'GET' && url.pathname === '/elements') {
      const selector = url.searchParams.get('selector');
      if (!selector) return sendJson(res, 400, { error: 'missing ?selector=' });
      const reply: ElementsReply = { texts: await visibleTexts(page, selector) };
      sendJson(res, 200, reply);
    } else if (req.method === 'GET' && url.pathname === '/webview-elements') {
      const selector = url.searchParams.get('selector');
      if (!selector) return sendJson(res, 400, { error: 'missing ?selector=' });
      const reply: ElementsReply = { texts: await webviewTexts(page, selector) };
      sendJson(res, 200, reply);
    } else if (req.method === 'GET' && url.pathname === '/webview-styles') {
      const selector = url.searchParams.get('selector');
      if (!selector) return sendJson(res, 400, { error: 'missing ?selector=' });
      const properties = (url.searchParams.get('properties') ?? '').split(',').filter(Boolean);
      const reply: WebviewStylesReply = { styles: await computedStyles(page, selector, properties, url.searchParams.get('in') === 'workbench') };
      sendJson(res, 200, reply);
    } else if (req.method === 'POST' && url.pathname === '/hover') {
      // Moves the mouse over the first visible workbench element matching `selector` (and containing `text`): its hover opens.
      const selector = url.searchParams.get('selector');
      if (!selector) return sendJson(res, 400, { error: 'missing ?selector=' });
      await page.locator(selector, { hasText: url.searchParams.get('text') ?? '' }).first().hover({ timeout: 10_000 });
      const reply: ActionReply = { done: true };
      sendJson(res, 200, reply);
    } else if (req.method === 'GET' && url.pathname === '/webview-problems') {
      const since = Number(url.searchParams.get('since') ?? 0) || 0;
      const reply: WebviewProblemsReply = { problems: problems.problems.slice(since), total: problems.problems.length };
      sendJson(res, 200, reply);
    } else if (req.method === 'POST' && (url.pathname === '/click' || url.pathname === '/fill')) {
      const selector = url.searchParams.get('selector');
      if (!selector) return sendJson(res, 400, { error: 'missing ?selector=' });
      const value = url.searchParams.get('value') ?? '';
      const done = await inWebviews(page, selector, (frame) => (url.pathname === '/click'
        ? frame.locator(selector).first().click({ timeout: 10_000 })
        : frame.locator(selector).first().fill(value, { timeout: 10_000 })));
      if (!done) return sendJson(res, 404, { error: `no webview element matches ${selector}` });
      const reply: ActionReply = { done };
      sendJson(res, 200, reply);
    } else if (req.method === 'POST' && url.pathname === '/screenshot') {
      const name = url.searchParams.get('name') ?? '';
      if (!/^[\w.-]+$/.test(name)) return sendJson(res, 400, { error: 'name must be letters, digits, "_", "." or "-"' });
      mkdirSync(resultsDir, { recursive: true });
      const path = join(resultsDir, `${name}.png`);
      await page.screenshot({ path });
      const reply: ScreenshotReply = { path };
      sendJson(res, 200, reply);
    } else {
      sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendJson(res, 500, { error: String(error) }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}
