/**
 * Serves the live view from a node:http listener. `nodeLiveView(live)` returns a function that answers
 * the view's requests and returns true, or returns false for every other request:
 *
 * ```ts
 * const live = nodeLiveView(createLiveView({ registry, tokens, http: httpMetrics }));
 * http.createServer(instrumentHandler(httpMetrics, (req, res) => {
 *   if (live(req, res)) return;
 *   // ... the app's own routes
 * }));
 * ```
 *
 * It names the matched template with `setRoute`, so the view's requests are excluded from the HTTP
 * metrics like any excluded route. Sampling starts here; `live.stop()` ends it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveView } from '../live/view.ts';
import { setRoute } from './node.ts';

export function nodeLiveView(live: LiveView): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { page, data, asset } = live.routes;
  const assetPrefix = asset.slice(0, asset.lastIndexOf('/') + 1);
  live.start();
  return function askproaiLiveView(req, res) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    let template: string;
    if (path === page || path === `${page}/`) template = page;
    else if (path === data) template = data;
    else if (path.startsWith(assetPrefix)) template = asset;
    else return false;
    setRoute(req, template);
    live.handle(req, req).then(
      (r) => {
        res.writeHead(r.status, r.headers);
        res.end(r.body);
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Live view unavailable\n');
      },
    );
    return true;
  };
}
