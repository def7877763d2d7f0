/**
 * Mounts the live view on an Express 5 app (on the app itself, so the paths are the view's own):
 *
 * ```ts
 * const live = createLiveView({ registry, tokens, http: httpMetrics, authorize: (req) => isAdmin(req as Request) });
 * expressLiveView(app, live);   // /monitoring, /monitoring/data, /monitoring/assets/:file
 * ```
 *
 * Sampling starts here; `live.stop()` ends it (its timer never keeps the process alive).
 */
import type { NextFunction, Request, Response } from 'express';
import type { LiveView } from '../live/view.ts';

interface Routable {
  get(path: string, handler: (req: Request, res: Response, next: NextFunction) => void): unknown;
}

export function expressLiveView(app: Routable, live: LiveView): void {
  const handler = function askproaiLiveViewRoute(req: Request, res: Response, next: NextFunction) {
    live.handle({ method: req.method, url: req.originalUrl, headers: req.headers }, req).then((r) => {
      res.status(r.status).set(r.headers).end(r.body);
    }, next);
  };
  for (const url of [live.routes.page, live.routes.data, live.routes.asset]) app.get(url, handler);
  live.start();
}
