import busboy from 'busboy';
import type { RequestHandler } from 'express';
import { badData } from './http-errors.js';

export const MULTIPART_TYPE = 'multipart/form-data';

/**
 * Reads a `multipart/form-data` body into a Seldon message the way the Python wrapper does
 * (SeldonIO/seldon-core v1.17.1 python/seldon_core/flask_utils.py `get_multi_form_data_request`): a text
 * field `strData` stays text, every other text field is JSON (`data`, `meta`, `jsonData`, …); an uploaded
 * file `binData` is its bytes, any other uploaded file (e.g. `strData`) its UTF-8 text. The whole body may
 * be at most `limit` bytes.
 */
export function multipartBody(limit: number): RequestHandler {
  return (req, _res, next) => {
    if (!req.is(MULTIPART_TYPE) || req.body !== undefined) return next();
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fieldSize: limit, fileSize: limit, fields: 32, files: 8 },
      });
    } catch (error) {
      return next(badData(`the multipart body cannot be read: ${(error as Error).message}`));
    }
    const message: Record<string, unknown> = {};
    let size = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume();
      next(error);
    };
    const tooLarge = () => Object.assign(new Error('request entity too large'), { type: 'entity.too.large' });
    parser.on('field', (name, value, info) => {
      if (failed) return;
      size += value.length;
      if (info.valueTruncated || size > limit) return fail(tooLarge());
      if (name === 'strData') {
        message[name] = value;
        return;
      }
      try {
        message[name] = JSON.parse(value);
      } catch {
        fail(badData(`the multipart field ${JSON.stringify(name)} is not valid JSON`));
      }
    });
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) fail(tooLarge());
        else chunks.push(c);
      });
      stream.on('limit', () => fail(tooLarge()));
      stream.on('end', () => {
        if (failed) return;
        const bytes = Buffer.concat(chunks);
        message[name] = name === 'binData' ? bytes : bytes.toString('utf8');
      });
    });
    parser.on('error', (error: Error) => fail(badData(`the multipart body is malformed: ${error.message}`)));
    parser.on('close', () => {
      if (failed) return;
      req.body = message;
      next();
    });
    req.on('error', (error) => fail(Object.assign(error, { status: 400 })));
    req.pipe(parser);
  };
}
