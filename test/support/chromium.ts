import { type Browser, chromium, type LaunchOptions } from 'playwright-core';

/** The flags that make Debian's Chromium start headless as root in a container, quietly and offline. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Launch Debian's Chromium through playwright-core. Close it with `browser.close()` (Playwright also kills
 * it when the test process exits).
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  try {
    return await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      timeout: 30_000,
      ...options,
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    });
  } catch (error) {
    throw new Error(
      `could not launch ${CHROMIUM_PATH} (Debian package 'chromium'; 'npm test' installs it): ${(error as Error).message}`,
      { cause: error },
    );
  }
}
