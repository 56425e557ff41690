/**
 * What every request passes before any route, as one Express layer: an ordered table of
 * synchronous steps (build-app.ts lists them: the adapters' host-name interception, the security
 * headers, the request id and access log, the request metrics). Each step was its own `app.use`
 * layer, and the router's walk over a layer (path match, params, a callback per layer) cost more
 * than most of the steps themselves (bench/README, "The request floor"). A step that answers the
 * request itself returns true and the steps after it, and the routes, are skipped; a step that
 * throws reaches the error handler as a throwing middleware would.
 */
import type { Request, RequestHandler, Response } from 'express';

export type RequestStep = (req: Request, res: Response) => boolean | void;

/** One middleware that runs `steps` in order, then hands the request on (unless a step answered it). */
export function requestSteps(steps: readonly RequestStep[]): RequestHandler {
  const table = [...steps];
  return (req, res, next) => {
    for (const step of table) if (step(req, res) === true) return;
    next();
  };
}
