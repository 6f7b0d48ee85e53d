import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointStorage } from '../src/index.js';

async function modelDir(root: string) {
  const dir = join(root, 'model');
  await mkdir(join(dir, 'weights'), { recursive: true });
  await writeFile(join(dir, 'model.json'), '{"format":"layers-model"}');
  await writeFile(join(dir, 'weights', 'group1.bin'), Buffer.from([1, 2, 3, 4]));
  return dir;
}

describe('checkpoint storage: shared_fs', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'det-sharedfs-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('writes under the container mount /determined_shared_fs/<storage_path>/<uuid> when the mount is there', async () => {
    const mount = join(work, 'determined_shared_fs');
    await mkdir(mount);
    const storage = checkpointStorage(
      { type: 'shared_fs', host_path: join(work, 'host'), storage_path: 'ckpt' },
      { sharedFsContainerPath: mount },
    );
    const resources = await storage.upload(await modelDir(work), 'u-1');
    expect(resources).toEqual({ 'model.json': 25, 'weights/group1.bin': 4 });
    expect(existsSync(join(mount, 'ckpt', 'u-1', 'weights', 'group1.bin'))).toBe(true);
    expect(existsSync(join(work, 'host', 'ckpt', 'u-1'))).toBe(false);
    expect(await storage.download('u-1', join(work, 'x'))).toBe(join(mount, 'ckpt', 'u-1'));
  });

  it('reads host_path/<storage_path>/<uuid> where there is no mount (the user’s machine)', async () => {
    const storage = checkpointStorage(
      { type: 'shared_fs', host_path: join(work, 'host2') },
      { sharedFsContainerPath: join(work, 'no-such-mount') },
    );
    await storage.upload(await modelDir(work), 'u-2');
    expect(existsSync(join(work, 'host2', 'determined-checkpoint', 'u-2', 'model.json'))).toBe(true);
  });

  it('refuses other storage types, naming the supported ones', () => {
    expect(() => checkpointStorage({ type: 'gcs', bucket: 'b' })).toThrow(/supported: shared_fs, s3/);
    expect(() => checkpointStorage({ type: 'shared_fs' })).toThrow(/host_path/);
  });
});

describe('checkpoint storage: s3 (against s3rver)', () => {
  let work: string;
  let server: S3rver;
  let endpoint: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'det-s3-'));
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(work, 's3') });
    const addr: AddressInfo = await server.run();
    endpoint = `http://127.0.0.1:${addr.port}`;
    const s3 = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'checkpoints' }));
  });
  afterAll(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  it('uploads <prefix>/<uuid>/<file> and downloads it back', async () => {
    const config = {
      type: 's3',
      bucket: 'checkpoints',
      prefix: 'fmnist/',
      endpoint_url: endpoint,
      access_key: 'S3RVER',
      secret_key: 'S3RVER',
    };
    const storage = checkpointStorage(config);
    expect(await storage.upload(await modelDir(work), 'u-3')).toEqual({
      'model.json': 25,
      'weights/group1.bin': 4,
    });
    const s3 = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: 'checkpoints' }))).Contents?.map(
      (o) => o.Key,
    );
    expect(keys?.sort()).toEqual(['fmnist/u-3/model.json', 'fmnist/u-3/weights/group1.bin']);
    const dest = join(work, 'restored');
    expect(await storage.download('u-3', dest)).toBe(dest);
    expect(await readFile(join(dest, 'weights', 'group1.bin'))).toEqual(Buffer.from([1, 2, 3, 4]));
    expect(await storage.download('no-such-uuid', join(work, 'none'))).toBeNull();
  });

  it('says which bucket and what to check when the upload fails', async () => {
    const storage = checkpointStorage({
      type: 's3',
      bucket: 'no-such-bucket',
      endpoint_url: endpoint,
      access_key: 'S3RVER',
      secret_key: 'S3RVER',
    });
    const err = await storage.upload(await modelDir(work), 'u-4').catch((e) => e);
    expect(err.code).toBe('STORAGE');
    expect(err.message).toMatch(/s3:\/\/no-such-bucket/);
  });
});
