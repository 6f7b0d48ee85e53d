import express, { type Request, type RequestHandler } from 'express';
import { badData, describe, nanHint, nestingDepth } from './http-errors.js';
import { MULTIPART_TYPE, multipartBody } from './multipart.js';

/** Deepest JSON a client may send; real messages nest about ten levels. */
const MAX_JSON_DEPTH = 64;

export const JSON_TYPES = ['application/json', 'application/*+json'];
export const FORM_TYPE = 'application/x-www-form-urlencoded';
const BINARY_TYPES = ['application/octet-stream', 'image/png', 'image/jpeg'];

export type BodyKind = 'json' | 'form' | 'text' | 'binary' | 'multipart';

export interface BodyReaders {
  jsonBody: RequestHandler;
  formBody: RequestHandler;
  textBody: RequestHandler;
  binaryBody: RequestHandler;
  multipart: RequestHandler;
  /** Refuses content types the route cannot read before any byte is parsed. */
  accept(kinds: BodyKind[]): RequestHandler;
  quickJson: RequestHandler;
  /** Every encoding a Seldon prediction may come in. */
  seldonBody: RequestHandler[];
}

/** The body readers of a server whose bodies may be at most `limit` bytes. */
export function createBodyReaders(limit: number): BodyReaders {
  const jsonBody = express.json({ limit, type: JSON_TYPES, strict: false });
  const formBody = express.text({ limit, type: FORM_TYPE });
  const textBody = express.text({ limit, type: 'text/*' });
  const binaryBody = express.raw({ limit, type: BINARY_TYPES });
  const multipart = multipartBody(limit);

  /** Refuses content types the route cannot read before any byte is parsed. */
  const accept =
    (kinds: BodyKind[]): RequestHandler =>
    (req, _res, next) => {
      const types = kinds.flatMap((k) =>
        k === 'json'
          ? JSON_TYPES
          : k === 'form'
            ? [FORM_TYPE]
            : k === 'text'
              ? ['text/*']
              : k === 'multipart'
                ? [MULTIPART_TYPE]
                : BINARY_TYPES,
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

  /** Every encoding a Seldon prediction may come in. */
  const seldonBody = [
    accept(['json', 'form', 'text', 'binary', 'multipart']),
    quickJson,
    formBody,
    textBody,
    binaryBody,
    multipart,
  ];

  return { jsonBody, formBody, textBody, binaryBody, multipart, accept, quickJson, seldonBody };
}

/** The Seldon message of a request, whichever encoding it came in. */
export function seldonMessage(req: Request): unknown {
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
    // `curl -d '{...}'` sends JSON labelled as a form. The Python wrapper refuses it (400 "Can't find JSON
    // in data"), as it refuses text/plain; reading both is a deliberate kindness of ours.
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

export function parseJson(text: string | undefined, where: string): unknown {
  if (text === undefined || text.trim() === '')
    throw badData(`${where} is empty: send a SeldonMessage as JSON`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badData(`${where} is not valid JSON (${(error as Error).message})${nanHint(text)}`);
  }
}

export function checkDepth(value: unknown): void {
  if (nestingDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw badData(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
}
