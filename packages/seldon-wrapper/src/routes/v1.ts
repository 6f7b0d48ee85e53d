import type { Request, Response } from 'express';
import { checkDepth, seldonMessage } from '../body.js';
import { SeldonWrapperError } from '../errors.js';
import { badData, describe, HttpError, isPlainObject } from '../http-errors.js';
import {
  decodeImage,
  decodeSeldonMessage,
  encodeSeldonResponse,
  healthLike,
  responseMeta,
} from '../protocol/seldon.js';
import { withTimeout } from '../timeout.js';
import type { SeldonFeedback } from '../types.js';
import { draining, INGRESS, outputNames, type Route, type RouteContext, whileConnected } from './context.js';

/** Seldon Core's v1 prediction protocol: predictions, feedback and metadata, plain and under the ingress prefix. */
export function v1Routes(ctx: RouteContext): Route[] {
  const { cfg, spec, batcher, metrics, bodies } = ctx;
  const { model, name, version } = cfg;
  const timeoutMs = cfg.batching.timeoutMs;

  async function predict(req: Request, res: Response) {
    const message = seldonMessage(req);
    let decoded: Awaited<ReturnType<typeof decodeSeldonMessage>>;
    if (isPlainObject(message) && Buffer.isBuffer(message.binData)) {
      // A raw photo body, or a photo uploaded as a multipart file.
      const meta = isPlainObject(message.meta) ? message.meta : undefined;
      decoded = { ...(await decodeImage(message.binData, spec)), kind: 'binData', meta };
    } else {
      checkDepth(message);
      decoded = await decodeSeldonMessage(message, spec);
    }
    if (ctx.draining()) throw draining();
    const result = await batcher.submit(decoded.values, decoded.rows, whileConnected(res));
    metrics.observeRows(decoded.rows);
    const names = outputNames(ctx, result.width);
    res.json(
      encodeSeldonResponse(
        decoded.kind,
        result.values,
        result.rows,
        result.width,
        names,
        responseMeta(decoded.meta, ...cfg.requestPath),
      ),
    );
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
      ? await withTimeout(() => model.sendFeedback!(body as SeldonFeedback), timeoutMs)
      : undefined;
    const request = isPlainObject(body.request) ? body.request : undefined;
    const meta = responseMeta(isPlainObject(request?.meta) ? request.meta : undefined, ...cfg.requestPath);
    res.json({ meta, ...healthLike(answer, { data: { names: [], ndarray: [] } }) });
  }

  async function modelMetadata(): Promise<Record<string, unknown>> {
    const classNames = ctx.classNames;
    const width = classNames?.length;
    const base: Record<string, unknown> = {
      name,
      versions: [version],
      platform: 'seldon',
      inputs: [{ messagetype: 'tensor', schema: { names: [], shape: spec.inputShape } }],
      outputs: [{ messagetype: 'tensor', schema: { names: classNames ?? [], shape: width ? [width] : [] } }],
      custom: {},
    };
    const extra = model.metadata ? await withTimeout(() => model.metadata!(), timeoutMs) : {};
    if (!isPlainObject(extra))
      throw new SeldonWrapperError('BAD_MODEL_OUTPUT', 'the model metadata() did not return an object');
    return { ...base, ...extra, name, versions: [version] };
  }

  const feedbackBody = [
    bodies.accept(['json', 'form', 'multipart']),
    bodies.jsonBody,
    bodies.formBody,
    bodies.multipart,
    feedback,
  ];
  return [
    {
      method: 'post',
      paths: ['/predict', '/api/v1.0/predictions', '/api/v0.1/predictions'],
      operation: 'Predict',
      summary: 'Predict: tensor, ndarray, tftensor, binData (PNG/JPEG photo), strData or jsonData',
      tag: 'Seldon',
      request: 'seldon',
      response: 'seldon',
      handlers: [...bodies.seldonBody, predict],
    },
    {
      method: 'post',
      paths: [`${INGRESS}/api/v1.0/predictions`],
      operation: 'Predict',
      summary: 'Predict through the ingress (any namespace and deployment name reach this model)',
      tag: 'Seldon ingress',
      request: 'seldon',
      response: 'seldon',
      handlers: [...bodies.seldonBody, predict],
    },
    {
      method: 'get',
      paths: ['/predict'],
      operation: 'PredictQuery',
      summary: 'Predict with the SeldonMessage in the json query parameter',
      tag: 'Seldon',
      request: 'form',
      response: 'seldon',
      handlers: [predict],
    },
    {
      method: 'post',
      paths: ['/send-feedback', '/api/v1.0/feedback', '/api/v0.1/feedback'],
      operation: 'SendFeedback',
      summary: 'Send feedback (reward, truth) on a prediction',
      tag: 'Seldon',
      request: 'feedback',
      response: 'seldon',
      handlers: feedbackBody,
    },
    {
      method: 'post',
      paths: [`${INGRESS}/api/v1.0/feedback`],
      operation: 'SendFeedback',
      summary: 'Send feedback through the ingress',
      tag: 'Seldon ingress',
      request: 'feedback',
      response: 'seldon',
      handlers: feedbackBody,
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
  ];
}
