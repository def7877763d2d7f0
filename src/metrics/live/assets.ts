/**
 * The page's static files, read and gzipped once when the view is created: the page shell, its script
 * and style, and uPlot's browser build straight from its npm package. No CDN, no build step; the page
 * runs no inline script or style, so it works under `script-src 'self'; style-src 'self'`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  cacheControl: string;
}

function uplotDir(): string {
  // uplot's package.json has no exports map; its CommonJS entry sits in dist/ beside the browser build.
  return dirname(require.resolve('uplot'));
}

function asset(file: string, type: string, cacheControl: string): Asset {
  const body = readFileSync(file);
  return { type, body, gzip: gzipSync(body, { level: 9 }), cacheControl };
}

/** The assets by the name the page requests them under. Throws when a file is missing (a broken install). */
export function loadAssets(): { page: string; files: Map<string, Asset> } {
  const own = (name: string) => join(here, 'assets', name);
  const files = new Map<string, Asset>([
    ['live.js', asset(own('live.js'), 'text/javascript; charset=utf-8', 'public, max-age=300')],
    ['live.css', asset(own('live.css'), 'text/css; charset=utf-8', 'public, max-age=300')],
    [
      'uPlot.iife.min.js',
      asset(join(uplotDir(), 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8', 'public, max-age=86400'),
    ],
    [
      'uPlot.min.css',
      asset(join(uplotDir(), 'uPlot.min.css'), 'text/css; charset=utf-8', 'public, max-age=86400'),
    ],
  ]);
  return { page: readFileSync(own('live.html'), 'utf8'), files };
}
