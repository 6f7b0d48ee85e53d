import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { BATCHING_DEFAULTS, checkBatching, createBatcher, definedOnly } from './batcher.js';
import { SeldonWrapperError } from './errors.js';
import { DOCS_ASSETS, swaggerHtml, swaggerInitializer } from './internal/docs.js';
import {
  badData,
  describe,
  HttpError,
  isPlainObject,
  nestingDepth,
  seldonErrorBody,
} from './internal/http-error.js';
import { createMetrics } from './internal/metrics.js';
import { buildOpenApi, type RouteDoc } from './internal/openapi.js';
import { decodeImage, decodeSeldonMessage, encodeSeldonResponse, responseMeta } from './internal/seldon.js';
import type { InputSpec } from './internal/tensor.js';
import { decodeV2Request } from './internal/v2.js';
import type { SeldonFeedback, SeldonServer, ServerOptions } from './types.js';

/** Deepest JSON a client may send; real messages nest about ten levels. */
const MAX_JSON_DEPTH = 64;
const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
const INGRESS = '/seldon/:namespace/:deployment';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

const JSON_TYPES = ['application/json', 'application/*+json'];
const FORM_TYPE = 'application/x-www-form-urlencoded';
const BINARY_TYPES = ['application/octet-stream', 'image/png', 'image/jpeg'];

/**
 * An express app serving `options.model` over Seldon Core's v1 prediction protocol (microservice and
 * ingress routes), the Open Inference Protocol (V2), an OpenAPI document with Swagger UI, and Prometheus
 * metrics. Concurrent predictions are batched into single model calls. `listen` is the caller's.
 */
export function createServer(options: ServerOptions): SeldonServer {
  const cfg = checkOptions(options);
  const { model, name, version, logger } = cfg;
  const spec: InputSpec = {
    inputShape: cfg.inputShape,
    rowSize: cfg.inputShape.reduce((p, d) => p * d, 1),
    range: cfg.inputRange,
  };
  const classNames = model.classNames ? [...model.classNames] : undefined;
  let draining = false;

  const metrics = createMetrics(cfg.processMetrics);
  const batcher = createBatcher({
    ...cfg.batching,
    rowSize: spec.rowSize,
    run: (input, rows) => model.predict(input, [rows, ...spec.inputShape]),
    onBatch: (b) => metrics.observeBatch(b),
  });
  metrics.watchQueue(() => batcher.queuedRows);

  const app = express() as unknown as SeldonServer;
  app.disable('x-powered-by');
  // Predictions are never cached; hashing every response body for an ETag is wasted work.
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(metrics.middleware);

  const limit = cfg.maxBodyBytes;
  const jsonBody = express.json({ limit, type: JSON_TYPES, strict: false });
  const formBody = express.text({ limit, type: FORM_TYPE });
  const textBody = express.text({ limit, type: 'text/*' });
  const binaryBody = express.raw({ limit, type: BINARY_TYPES });

  /** Refuses content types the route cannot read before any byte is parsed. */
  const accept =
    (kinds: ('json' | 'form' | 'text' | 'binary')[]): RequestHandler =>
    (req, _res, next) => {
      const types = kinds.flatMap((k) =>
        k === 'json' ? JSON_TYPES : k === 'form' ? [FORM_TYPE] : k === 'text' ? ['text/*'] : BINARY_TYPES,
      );
      if (req.is(types)) return next();
      const sent = req.headers['content-type'];
      next(
        badData(
          sent
            ? `Content-Type ${describe(sent)} is not accepted here: send ${types.join(', ')}`
            : `the request has no body or no Content-Type: send a JSON body with Content-Type application/json`,
        ),
      );
    };

  /**
   * The common case (a plain UTF-8 JSON body of a declared length within the limit) is read and parsed
   * here, skipping the generic parser's per-request work; anything else goes to express.json.
   */
  const quickJson: RequestHandler = (req, res, next) => {
    const length = Number(req.headers['content-length']);
    const type = req.headers['content-type'] ?? '';
    const plain =
      type.startsWith('application/json') &&
      !/charset=(?!"?utf-8)/i.test(type) &&
      !req.headers['content-encoding'];
    if (!plain || !(length > 0 && length <= limit) || req.body !== undefined) return jsonBody(req, res, next);
    const body = Buffer.allocUnsafe(length);
    let at = 0;
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      next(e);
    };
    req.on('data', (chunk: Buffer) => {
      if (at + chunk.length > length)
        return fail(Object.assign(new Error('request size did not match content length'), { status: 400 }));
      chunk.copy(body, at);
      at += chunk.length;
    });
    req.on('error', fail);
    req.on('end', () => {
      if (failed) return;
      if (at !== length)
        return fail(Object.assign(new Error('request size did not match content length'), { status: 400 }));
      const text = body.toString('utf8');
      try {
        req.body = JSON.parse(text);
      } catch (e) {
        return fail(Object.assign(e as Error, { type: 'entity.parse.failed', body: text, status: 400 }));
      }
      next();
    });
  };

  const seldonBody = [accept(['json', 'form', 'text', 'binary']), quickJson, formBody, textBody, binaryBody];

  // The Seldon message of a request, whichever encoding it came in.
  function seldonMessage(req: Request): unknown {
    const body: unknown = req.body;
    if (req.method === 'GET')
      return parseJson(
        typeof req.query.json === 'string' ? req.query.json : undefined,
        'the json query parameter',
      );
    if (Buffer.isBuffer(body)) return { binData: body };
    if (req.is(FORM_TYPE)) {
      const text = typeof body === 'string' ? body : '';
      const form = new URLSearchParams(text);
      // `curl -d '{...}'` sends JSON labelled as a form; the Python wrapper reads it too.
      return parseJson(
        form.has('json') ? (form.get('json') as string) : text,
        form.has('json') ? 'the json form field' : 'the body',
      );
    }
    if (typeof body === 'string') {
      const text = body.trim();
      return text.startsWith('{') ? parseJson(text, 'the body') : { strData: body };
    }
    return body;
  }

  function parseJson(text: string | undefined, where: string): unknown {
    if (text === undefined || text.trim() === '')
      throw badData(`${where} is empty: send a SeldonMessage as JSON`);
    try {
      return JSON.parse(text);
    } catch (error) {
      throw badData(`${where} is not valid JSON (${(error as Error).message})${nanHint(text)}`);
    }
  }

  async function predictSeldon(req: Request, res: Response) {
    const message = seldonMessage(req);
    let decoded: Awaited<ReturnType<typeof decodeSeldonMessage>>;
    if (isPlainObject(message) && Buffer.isBuffer(message.binData)) {
      decoded = { ...(await decodeImage(message.binData, spec)), kind: 'binData', meta: undefined };
    } else {
      checkDepth(message);
      decoded = await decodeSeldonMessage(message, spec);
    }
    if (draining) throw new SeldonWrapperError('DRAINING', 'the server is shutting down');
    const result = await batcher.submit(decoded.values, decoded.rows, whileConnected(res));
    metrics.observeRows(decoded.rows);
    const names = outputNames(result.width);
    res.json(
      encodeSeldonResponse(
        decoded.kind,
        result.values,
        result.rows,
        result.width,
        names,
        responseMeta(decoded.meta, name, version),
      ),
    );
  }

  function outputNames(width: number): string[] {
    if (!classNames) return Array.from({ length: width }, (_, i) => `t:${i}`);
    if (classNames.length !== width) {
      throw new SeldonWrapperError(
        'BAD_MODEL_OUTPUT',
        `the model returned ${width} columns but declares ${classNames.length} classNames`,
      );
    }
    return classNames;
  }

  async function feedback(req: Request, res: Response) {
    const body = seldonMessage(req);
    checkDepth(body);
    if (!isPlainObject(body))
      throw badData(
        `the feedback body must be a JSON object {request, response, reward, truth}, got ${describe(body)}`,
      );
    for (const key of ['request', 'response', 'truth']) {
      if (Object.hasOwn(body, key) && body[key] !== null && !isPlainObject(body[key])) {
        throw badData(`feedback ${key} must be a SeldonMessage object, got ${describe(body[key])}`);
      }
    }
    const reward = body.reward;
    if (reward !== undefined && (typeof reward !== 'number' || !Number.isFinite(reward))) {
      throw badData(`feedback reward must be a number, got ${describe(reward)}`);
    }
    metrics.observeFeedback(reward ?? 0);
    const answer = model.sendFeedback
      ? await withTimeout(() => model.sendFeedback!(body as SeldonFeedback))
      : undefined;
    const request = isPlainObject(body.request) ? body.request : undefined;
    const meta = responseMeta(isPlainObject(request?.meta) ? request.meta : undefined, name, version);
    res.json({ meta, ...healthLike(answer, { data: { names: [], ndarray: [] } }) });
  }

  async function modelMetadata(): Promise<Record<string, unknown>> {
    const width = classNames?.length;
    const base: Record<string, unknown> = {
      name,
      versions: [version],
      platform: 'seldon',
      inputs: [{ messagetype: 'tensor', schema: { names: [], shape: spec.inputShape } }],
      outputs: [{ messagetype: 'tensor', schema: { names: classNames ?? [], shape: width ? [width] : [] } }],
      custom: {},
    };
    const extra = model.metadata ? await withTimeout(() => model.metadata!()) : {};
    if (!isPlainObject(extra))
      throw new SeldonWrapperError('BAD_MODEL_OUTPUT', 'the model metadata() did not return an object');
    return { ...base, ...extra, name, versions: [version] };
  }

  async function health(_req: Request, res: Response) {
    let status: unknown;
    try {
      status = model.healthStatus ? await withTimeout(() => model.healthStatus!()) : undefined;
    } catch (error) {
      logger.warn(`model ${name}: health check failed:`, error);
      res
        .status(503)
        .json(seldonErrorBody('MICROSERVICE_INTERNAL_ERROR', 'the model reports it is unhealthy'));
      return;
    }
    res.json(healthLike(status, { jsonData: { status: 'ok' } }));
  }

  function withTimeout<T>(fn: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new SeldonWrapperError(
              'MODEL_TIMEOUT',
              `the model did not answer within ${cfg.batching.timeoutMs} ms`,
            ),
          ),
        cfg.batching.timeoutMs,
      );
      new Promise<T>((r) => r(fn())).then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  }

  async function inferV2(req: Request, res: Response) {
    checkV2Model(req);
    checkDepth(req.body);
    const decoded = decodeV2Request(req.body, spec);
    if (draining) throw new SeldonWrapperError('DRAINING', 'the server is shutting down');
    const result = await batcher.submit(decoded.values, decoded.rows, whileConnected(res));
    metrics.observeRows(decoded.rows);
    const names = outputNames(result.width);
    res.json({
      model_name: name,
      model_version: version,
      ...(decoded.id !== undefined ? { id: decoded.id } : {}),
      outputs: [
        {
          name: 'output-0',
          shape: [result.rows, result.width],
          datatype: 'FP32',
          parameters: { names },
          data: Array.from(result.values),
        },
      ],
    });
  }

  function checkV2Model(req: Request) {
    const { name: asked, version: askedVersion } = req.params as { name?: string; version?: string };
    if (asked !== name)
      throw new HttpError(
        404,
        'NOT_FOUND',
        `model ${describe(asked)} is not served here; this server serves ${describe(name)}`,
      );
    if (askedVersion !== undefined && askedVersion !== version) {
      throw new HttpError(
        404,
        'NOT_FOUND',
        `model ${name} has no version ${describe(askedVersion)}; it serves version ${describe(version)}`,
      );
    }
  }

  function v2ModelMetadata() {
    return {
      name,
      versions: [version],
      platform: 'seldon-wrapper',
      inputs: [{ name: 'input-0', datatype: 'FP32', shape: [-1, ...spec.inputShape] }],
      outputs: [{ name: 'output-0', datatype: 'FP32', shape: [-1, classNames?.length ?? -1] }],
    };
  }

  /** Why the server cannot take predictions now, or undefined when it can. */
  function notReady(): string | undefined {
    if (draining) return 'draining';
    try {
      if (model.ready && model.ready() === false) return 'model not ready';
    } catch {
      return 'model not ready';
    }
    return undefined;
  }

  const ready = (_req: Request, res: Response) => {
    const why = notReady();
    res
      .status(why ? 503 : 200)
      .type('text/plain')
      .send(why ?? 'ready');
  };

  let openApiDoc: unknown;
  const serveOpenApi = (_req: Request, res: Response) => res.json(openApiDoc);
  const serveSwagger = (req: Request, res: Response) => {
    // Relative asset links need the trailing slash.
    if (!req.path.endsWith('/')) {
      const q = req.originalUrl.indexOf('?');
      res.redirect(
        301,
        q < 0 ? `${req.originalUrl}/` : `${req.originalUrl.slice(0, q)}/${req.originalUrl.slice(q)}`,
      );
      return;
    }
    res.type('html').send(swaggerHtml(name));
  };

  const routes: (RouteDoc & { handlers: RequestHandler[] })[] = [
    {
      method: 'post',
      paths: ['/predict', '/api/v1.0/predictions'],
      operation: 'Predict',
      summary: 'Predict: tensor, ndarray, tftensor, binData (PNG/JPEG photo), strData or jsonData',
      tag: 'Seldon',
      request: 'seldon',
      response: 'seldon',
      handlers: [...seldonBody, predictSeldon],
    },
    {
      method: 'post',
      paths: [`${INGRESS}/api/v1.0/predictions`],
      operation: 'Predict',
      summary: 'Predict through the ingress (any namespace and deployment name reach this model)',
      tag: 'Seldon ingress',
      request: 'seldon',
      response: 'seldon',
      handlers: [...seldonBody, predictSeldon],
    },
    {
      method: 'get',
      paths: ['/predict'],
      operation: 'PredictQuery',
      summary: 'Predict with the SeldonMessage in the json query parameter',
      tag: 'Seldon',
      request: 'form',
      response: 'seldon',
      handlers: [predictSeldon],
    },
    {
      method: 'post',
      paths: ['/send-feedback', '/api/v1.0/feedback'],
      operation: 'SendFeedback',
      summary: 'Send feedback (reward, truth) on a prediction',
      tag: 'Seldon',
      request: 'feedback',
      response: 'seldon',
      handlers: [accept(['json', 'form']), jsonBody, formBody, feedback],
    },
    {
      method: 'post',
      paths: [`${INGRESS}/api/v1.0/feedback`],
      operation: 'SendFeedback',
      summary: 'Send feedback through the ingress',
      tag: 'Seldon ingress',
      request: 'feedback',
      response: 'seldon',
      handlers: [accept(['json', 'form']), jsonBody, formBody, feedback],
    },
    {
      method: 'get',
      paths: ['/metadata', '/api/v1.0/metadata/:model', `${INGRESS}/api/v1.0/metadata/:model`],
      operation: 'ModelMetadata',
      summary: 'Model metadata (SeldonModelMetadata)',
      tag: 'Seldon',
      response: 'metadata',
      handlers: [
        async (req, res) => {
          const asked = (req.params as { model?: string }).model;
          if (asked !== undefined && asked !== name) {
            throw new HttpError(
              404,
              'NOT_FOUND',
              `model ${describe(asked)} is not in this graph; it holds ${describe(name)}`,
            );
          }
          res.json(await modelMetadata());
        },
      ],
    },
    {
      method: 'get',
      paths: ['/api/v1.0/metadata', `${INGRESS}/api/v1.0/metadata`],
      operation: 'GraphMetadata',
      summary: 'Graph metadata (SeldonGraphMetadata): this one model',
      tag: 'Seldon',
      response: 'graph',
      handlers: [
        async (req, res) => {
          const meta = await modelMetadata();
          res.json({
            name: (req.params as { deployment?: string }).deployment ?? name,
            models: { [name]: meta },
            graphinputs: meta.inputs,
            graphoutputs: meta.outputs,
          });
        },
      ],
    },
    {
      method: 'get',
      paths: ['/health/ping'],
      operation: 'HealthPing',
      summary: 'Liveness: answers pong',
      tag: 'Health',
      response: 'text',
      handlers: [(_req, res) => void res.type('text/plain').send('pong')],
    },
    {
      method: 'get',
      paths: ['/health/status', `${INGRESS}/api/v1.0/health/status`],
      operation: 'HealthStatus',
      summary: "The model's own health status (its healthStatus())",
      tag: 'Health',
      response: 'json',
      handlers: [health],
    },
    {
      method: 'get',
      paths: ['/ready', '/v2/health/ready'],
      operation: 'Ready',
      summary: 'Readiness: 503 while draining',
      tag: 'Health',
      response: 'text',
      handlers: [ready],
    },
    {
      method: 'get',
      paths: ['/live', '/v2/health/live'],
      operation: 'Live',
      summary: 'Liveness',
      tag: 'Health',
      response: 'text',
      handlers: [(_req, res) => void res.type('text/plain').send('live')],
    },
    {
      method: 'get',
      paths: ['/v2'],
      operation: 'V2ServerMetadata',
      summary: 'Server metadata',
      tag: 'Open Inference Protocol (V2)',
      response: 'v2-server',
      handlers: [
        (_req, res) => void res.json({ name: 'fmnist-seldon-wrapper', version: '1', extensions: [] }),
      ],
    },
    {
      method: 'get',
      paths: ['/v2/models/:name', '/v2/models/:name/versions/:version'],
      operation: 'V2ModelMetadata',
      summary: 'Model metadata',
      tag: 'Open Inference Protocol (V2)',
      response: 'v2-model',
      handlers: [
        (req, res) => {
          checkV2Model(req);
          res.json(v2ModelMetadata());
        },
      ],
    },
    {
      method: 'get',
      paths: ['/v2/models/:name/ready', '/v2/models/:name/versions/:version/ready'],
      operation: 'V2ModelReady',
      summary: 'Model readiness: 503 while draining',
      tag: 'Open Inference Protocol (V2)',
      response: 'v2-empty',
      handlers: [
        (req, res) => {
          checkV2Model(req);
          const why = notReady();
          res.status(why ? 503 : 200).json({ name, ready: !why });
        },
      ],
    },
    {
      method: 'post',
      paths: ['/v2/models/:name/infer', '/v2/models/:name/versions/:version/infer'],
      operation: 'V2Infer',
      summary: 'Inference (one FP32/UINT8/… input tensor)',
      tag: 'Open Inference Protocol (V2)',
      request: 'v2',
      response: 'v2-infer',
      handlers: [accept(['json']), jsonBody, inferV2],
    },
    {
      method: 'get',
      paths: ['/seldon.json', '/api/v1.0/doc/openapi.json', `${INGRESS}/api/v1.0/doc/openapi.json`],
      operation: 'OpenApi',
      summary: 'This OpenAPI document',
      tag: 'Documentation',
      response: 'openapi',
      handlers: [serveOpenApi],
    },
    {
      method: 'get',
      paths: ['/api/v1.0/doc/', `${INGRESS}/api/v1.0/doc/`],
      operation: 'SwaggerUi',
      summary: 'Swagger UI for this document',
      tag: 'Documentation',
      response: 'html',
      handlers: [serveSwagger],
    },
    {
      method: 'get',
      paths: ['/api/v1.0/doc/swagger-initializer.js', `${INGRESS}/api/v1.0/doc/swagger-initializer.js`],
      operation: 'SwaggerUiInit',
      summary: 'Swagger UI start-up script (points it at this document)',
      tag: 'Documentation',
      response: 'javascript',
      handlers: [(_req, res) => void res.type('text/javascript').send(swaggerInitializer)],
    },
    {
      method: 'get',
      paths: ['/metrics', '/prometheus'],
      operation: 'Metrics',
      summary: 'Prometheus metrics',
      tag: 'Metrics',
      response: 'prometheus',
      handlers: [
        async (_req, res) => {
          res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
        },
      ],
    },
  ];

  // One registration per path, so `req.route.path` (the metrics label) is the pattern that matched.
  for (const route of routes) for (const path of route.paths) app[route.method](path, ...route.handlers);
  openApiDoc = buildOpenApi(routes, { name, version, inputShape: spec.inputShape, classNames });
  app.use(
    ['/api/v1.0/doc', `${INGRESS}/api/v1.0/doc`],
    (_req: Request, res: Response, next: NextFunction) => {
      res.locals.route = 'swagger-ui assets';
      next();
    },
    DOCS_ASSETS,
  );

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(
      new HttpError(404, 'NOT_FOUND', `no route ${req.method} ${req.path}: see /api/v1.0/doc/ for the API`),
    );
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, reason, info } = describeError(error, cfg.maxBodyBytes);
    if (status >= 500)
      logger.error(`${req.method} ${req.path}: ${info}`, (error as { cause?: unknown }).cause ?? error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status);
    if (isV2Path(req.path)) res.json({ error: info });
    else res.json(seldonErrorBody(reason, info));
  });

  Object.defineProperty(app, 'metrics', { value: metrics.registry, enumerable: false });
  app.drain = () => {
    draining = true;
    return batcher.drain();
  };
  app.close = async (server?: Server) => {
    await app.drain();
    if (!server) return;
    await new Promise<void>((resolve, reject) => {
      // Keep-alive connections busy when the close began turn idle later: close each as it does.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      sweep.unref();
      server.close((error) => {
        clearInterval(sweep);
        if (error) reject(error);
        else resolve();
      });
      server.closeIdleConnections();
    });
  };
  return app;
}

/** A signal that aborts when the client goes away before its answer is written. */
function whileConnected(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

const isV2Path = (path: string) => path === '/v2' || path.startsWith('/v2/');

function checkDepth(value: unknown): void {
  if (nestingDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw badData(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

function nanHint(text: string): string {
  return /\b(NaN|-?Infinity)\b/.test(text) ? '; NaN and Infinity are not JSON: send finite numbers' : '';
}

/** Maps anything thrown while answering to an HTTP status and a message safe to show (never a stack). */
function describeError(
  error: unknown,
  maxBodyBytes: number,
): { status: number; reason: string; info: string } {
  if (error instanceof HttpError) return { status: error.status, reason: error.reason, info: error.message };
  if (error instanceof SeldonWrapperError) {
    switch (error.code) {
      case 'DRAINING':
      case 'OVERLOADED':
      case 'CANCELLED':
      case 'MODEL_UNAVAILABLE':
        return { status: 503, reason: 'MICROSERVICE_UNAVAILABLE', info: error.message };
      case 'TOO_MANY_ROWS':
        return { status: 413, reason: 'MICROSERVICE_BAD_DATA', info: error.message };
      case 'MODEL_FAILED':
        return {
          status: 500,
          reason: 'MICROSERVICE_INTERNAL_ERROR',
          info: `${error.message}; the server log has the details`,
        };
      default:
        return { status: 500, reason: 'MICROSERVICE_INTERNAL_ERROR', info: error.message };
    }
  }
  const e = error as { type?: unknown; status?: unknown; message?: unknown; body?: unknown };
  if (e && e.type === 'entity.too.large') {
    return {
      status: 413,
      reason: 'MICROSERVICE_BAD_DATA',
      info: `the request body is larger than the ${maxBodyBytes}-byte limit: send fewer rows per request`,
    };
  }
  if (e && e.type === 'entity.parse.failed') {
    const body = typeof e.body === 'string' ? e.body : '';
    return {
      status: 400,
      reason: 'MICROSERVICE_BAD_DATA',
      info: `the body is not valid JSON (${String(e.message)})${nanHint(body)}`,
    };
  }
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: 400, reason: 'MICROSERVICE_BAD_DATA', info: String(e.message) };
  }
  return {
    status: 500,
    reason: 'MICROSERVICE_INTERNAL_ERROR',
    info: 'the server failed on this request; the server log has the details',
  };
}

/** A model's answer (health status, feedback) as a Seldon message: text → strData, array → ndarray, else jsonData. */
function healthLike(value: unknown, fallback: Record<string, unknown>): Record<string, unknown> {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') return { strData: value };
  if (Array.isArray(value)) return { data: { names: [], ndarray: value } };
  return { jsonData: value };
}

function checkOptions(options: ServerOptions) {
  const bad = (what: string) => new SeldonWrapperError('BAD_OPTIONS', what);
  if (!isPlainObject(options)) throw bad('createServer needs an options object with at least { model }');
  const model = options.model;
  if (!model || typeof model.predict !== 'function') {
    throw bad('options.model must be an object with a predict(input, shape) method');
  }
  const inputShape = model.inputShape;
  if (
    !Array.isArray(inputShape) ||
    inputShape.length === 0 ||
    inputShape.length > 6 ||
    !inputShape.every((d) => Number.isInteger(d) && d >= 1)
  ) {
    throw bad(
      `model.inputShape must list 1 to 6 positive integer dimensions of one row, e.g. [28, 28], got ${JSON.stringify(inputShape)}`,
    );
  }
  if (model.classNames !== undefined) {
    const names = model.classNames;
    if (
      !Array.isArray(names) ||
      names.length === 0 ||
      !names.every((n) => typeof n === 'string' && n.length > 0)
    ) {
      throw bad('model.classNames must be a non-empty array of non-empty strings');
    }
    if (new Set(names).size !== names.length) throw bad('model.classNames must not repeat a name');
  }
  let inputRange: [number, number] | undefined;
  if (model.inputRange !== undefined) {
    const r = model.inputRange;
    if (
      !Array.isArray(r) ||
      r.length !== 2 ||
      !r.every(Number.isFinite) ||
      !((r[0] as number) < (r[1] as number))
    ) {
      throw bad(
        `model.inputRange must be [min, max] with finite min < max, e.g. [0, 255], got ${JSON.stringify(r)}`,
      );
    }
    inputRange = [r[0] as number, r[1] as number];
  }
  for (const method of ['metadata', 'healthStatus', 'sendFeedback', 'ready'] as const) {
    if (model[method] !== undefined && typeof model[method] !== 'function')
      throw bad(`model.${method} must be a function when given`);
  }
  const name = options.name ?? 'model';
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw bad(
      `name must be letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(name)}`,
    );
  }
  const version = options.version ?? '1';
  if (typeof version !== 'string' || version.length === 0 || version.length > 128 || version.includes('/')) {
    throw bad(`version must be a non-empty string without '/', got ${JSON.stringify(version)}`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) {
    throw bad(`maxBodyBytes must be an integer of at least 1024 bytes, got ${String(maxBodyBytes)}`);
  }
  const batching = {
    ...BATCHING_DEFAULTS,
    ...definedOnly({
      maxBatchSize: options.maxBatchSize,
      maxWaitMs: options.maxWaitMs,
      timeoutMs: options.timeoutMs,
      maxQueuedRows: options.maxQueuedRows,
      concurrency: options.concurrency,
    }),
  };
  checkBatching(batching);
  const logger = options.logger ?? console;
  if (typeof logger.error !== 'function' || typeof logger.warn !== 'function') {
    throw bad('logger must have error() and warn() methods');
  }
  return {
    model,
    inputShape: [...inputShape],
    inputRange,
    name,
    version,
    maxBodyBytes,
    batching,
    logger,
    processMetrics: options.processMetrics === true,
  };
}
