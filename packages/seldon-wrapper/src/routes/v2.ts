import type { Request, Response } from 'express';
import { checkDepth } from '../body.js';
import { describe, HttpError } from '../http-errors.js';
import { decodeV2Request } from '../protocol/v2.js';
import { draining, outputNames, type Route, type RouteContext, whileConnected } from './context.js';

/** The Open Inference Protocol (V2, as KServe and MLServer speak it): server and model metadata, readiness, infer. */
export function v2Routes(ctx: RouteContext): Route[] {
  const { cfg, spec, batcher, metrics, bodies } = ctx;
  const { name, version } = cfg;

  function checkModel(req: Request) {
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

  async function infer(req: Request, res: Response) {
    checkModel(req);
    checkDepth(req.body);
    const decoded = decodeV2Request(req.body, spec);
    if (ctx.draining()) throw draining();
    const result = await batcher.submit(decoded.values, decoded.rows, whileConnected(res));
    metrics.observeRows(decoded.rows);
    const names = outputNames(ctx, result.width);
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

  return [
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
          checkModel(req);
          res.json({
            name,
            versions: [version],
            platform: 'seldon-wrapper',
            inputs: [{ name: 'input-0', datatype: 'FP32', shape: [-1, ...spec.inputShape] }],
            outputs: [{ name: 'output-0', datatype: 'FP32', shape: [-1, ctx.classNames?.length ?? -1] }],
          });
        },
      ],
    },
    {
      method: 'get',
      paths: ['/v2/models/:name/ready', '/v2/models/:name/versions/:version/ready'],
      operation: 'V2ModelReady',
      summary: 'Model readiness: 503 while draining or while the model is not ready',
      tag: 'Open Inference Protocol (V2)',
      response: 'v2-empty',
      handlers: [
        (req, res) => {
          checkModel(req);
          const why = ctx.notReady();
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
      handlers: [bodies.accept(['json']), bodies.jsonBody, infer],
    },
  ];
}
