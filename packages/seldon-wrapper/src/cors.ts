import type { NextFunction, Request, Response } from 'express';

// The Python wrapper wraps its Flask app in flask-cors with the defaults (`CORS(app)`, SeldonIO/seldon-core
// v1.17.1 python/seldon_core/wrapper.py), and the real wrapper answers as follows: every answer, errors
// included, carries Access-Control-Allow-Origin: the caller's Origin (with Vary: Origin) when it sent one,
// `*` otherwise; a preflight (OPTIONS with Access-Control-Request-Method) also gets the requested headers
// back and flask-cors's default method list.
const ALLOWED_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';

/** CORS headers on every answer, as the Seldon wrapper sends them, so pages on other origins can call the model. */
export function cors(req: Request, res: Response, next: NextFunction): void {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.vary('Origin');
  } else {
    res.setHeader('Access-Control-Allow-Origin', '*');
  }
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    const asked = req.headers['access-control-request-headers'];
    if (asked) {
      res.setHeader(
        'Access-Control-Allow-Headers',
        asked
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean)
          .join(', '),
      );
    }
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
  }
  next();
}
