/**
 * The Chromium the browser tests drive: the one PLANWRIGHT_CHROMIUM names, or Debian's `chromium` package, or a
 * Chrome at a usual place; launched headless by puppeteer-core at 1280×800.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

const USUAL = [
  '/usr/bin/chromium',
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/**
 * Where Chromium is.
 * @throws {Error} saying how to get one when none is found.
 */
export function chromiumPath(): string {
  const named = process.env.PLANWRIGHT_CHROMIUM;
  if (named) {
    if (!existsSync(named))
      throw new Error(
        `PLANWRIGHT_CHROMIUM names ${named}, which does not exist: point it at a Chromium or Chrome executable, or unset it to use Debian's chromium`,
      );
    return named;
  }
  const found = USUAL.find((file) => existsSync(file));
  if (!found) {
    throw new Error(
      `no Chromium found (looked at ${USUAL.join(', ')}): install Debian's package (apt-get install chromium) or set PLANWRIGHT_CHROMIUM to a Chromium or Chrome executable`,
    );
  }
  return found;
}

/** A headless Chromium with a 1280×800 window. */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,800'],
    defaultViewport: { width: 1280, height: 800 },
  });
}
