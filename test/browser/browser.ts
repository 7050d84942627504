import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../../src/database/embedded-database.js';
import { WEB_ROOT } from '../../src/web/web-pages.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** Written by every run for a reviewer to look at; git-ignored. */
export const SCREENSHOT_DIR = 'test/browser/screenshots';

/** Debian's Chromium (`apt-get install chromium`): browser downloads are impossible here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Without the network flags Chromium keeps calling Google's hosts, which this machine refuses. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const PASSWORD = 'correct horse battery';

export interface BrowserRun {
  t: TestApp;
  baseUrl: string;
  /** A new browser profile (its own cookies and sessionStorage) with one page, as one fan or operator. */
  newPage(options?: { phone?: boolean }): Promise<Page>;
  /** Every console error and uncaught exception of every page so far. */
  consoleErrors: string[];
  /** Closes every page opened so far, so that none keeps polling into the next test. */
  closePages(): Promise<void>;
  close(): Promise<void>;
}

/** The real app on a port of its own, and Chromium with an empty profile. */
export async function startBrowserRun(
  overrides: Record<string, string | number | boolean> = {},
): Promise<BrowserRun> {
  if (!existsSync(join(WEB_ROOT, 'index.html')))
    throw new Error('dist/public is missing: run `npm run build` first');
  const t = await createTestApp(overrides);
  const port = await freePort();
  await t.app.listen({ port, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${port}`;
  // Playwright gives every launch a new empty profile (user-data-dir) and removes it on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const consoleErrors: string[] = [];
  const contexts: BrowserContext[] = [];
  mkdirSync(SCREENSHOT_DIR, { recursive: true });

  return {
    t,
    baseUrl,
    consoleErrors,
    async newPage({ phone = false } = {}) {
      // Contexts share nothing (storage, cookies): one per fan, like separate browsers.
      const context = await browser.newContext({
        baseURL: baseUrl,
        ...(phone
          ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
          : { viewport: { width: 1280, height: 900 } }),
      });
      contexts.push(context);
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
      return page;
    },
    async closePages() {
      for (const context of contexts.splice(0)) await context.close();
    },
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Signs up through the fan's page. */
export async function signUp(page: Page, email: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Concerts' }).waitFor();
}

export const uniqueEmail = (who: string) =>
  `${who}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
