// The official download as a dataset source, checked against the published MD5 sums.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { hashFile } from '@fmnist/fs-kit';
import { type Dispatcher, EnvHttpProxyAgent, interceptors, request } from 'undici';
import { DatasetError } from '../errors.js';
import { type DatasetSource, FASHION_MNIST_FILES, OFFICIAL_MD5, ROLES, type SourceContext } from './files.js';

export const OFFICIAL_URLS = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
];

/** The official download, checked against the published MD5 sums. */
export function officialSource(options: { baseUrls?: string[]; timeoutMs?: number } = {}): DatasetSource {
  const baseUrls = options.baseUrls ?? OFFICIAL_URLS;
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    name: 'official download',
    officialOrder: true,
    async produce(dir, ctx) {
      const agent = new EnvHttpProxyAgent({
        connectTimeout: timeoutMs,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: 5 }));
      try {
        for (const role of ROLES) {
          const name = FASHION_MNIST_FILES[role];
          const errors: string[] = [];
          let done = false;
          for (const base of baseUrls) {
            try {
              await download(`${base}${name}`, join(dir, name), dispatcher, ctx, name);
              const md5 = await hashFile(join(dir, name), 'md5');
              if (md5 !== OFFICIAL_MD5[role])
                throw new Error(`MD5 ${md5} does not match the published ${OFFICIAL_MD5[role]}`);
              done = true;
              break;
            } catch (e) {
              errors.push(`${base}${name}: ${(e as Error).message}`);
            }
          }
          if (!done) throw new DatasetError('DATASET_UNAVAILABLE', errors.join('; '));
        }
      } finally {
        await agent.close();
      }
    },
  };
}

async function download(url: string, file: string, dispatcher: Dispatcher, ctx: SourceContext, item: string) {
  const res = await request(url, { dispatcher });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  const total = Number(res.headers['content-length']) || undefined;
  let done = 0;
  res.body.on('data', (chunk: Buffer) => {
    done += chunk.length;
    ctx.progress({ stage: 'download', item, done, total });
  });
  await pipeline(res.body, createWriteStream(file));
}
