import { type Browser, chromium, type LaunchOptions } from 'playwright-core';
import { makeTempDir, removeTempDir } from './processes.ts';

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
 * it when the test process exits). Chromium's own temp files go to a private dir removed on close.
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const tmp = await makeTempDir('chromium');
  try {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      timeout: 30_000,
      ...options,
      env: { ...process.env, ...options.env, TMPDIR: tmp },
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    });
    browser.on('disconnected', () => void removeTempDir(tmp));
    return browser;
  } catch (error) {
    await removeTempDir(tmp);
    throw new Error(
      `could not launch ${CHROMIUM_PATH} (Debian package 'chromium'; 'npm test' installs it): ${(error as Error).message}`,
      { cause: error },
    );
  }
}
