/** The bucket as a worker sees it: the settings that point a worker at it, and the keys it holds. */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from './s3';

/** Keys of the objects under `prefix`, listed straight from the S3 server (not through a recording proxy). */
export async function objectKeys(s3: S3Config, prefix: string): Promise<string[]> {
  const client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint ?? undefined,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId ?? '', secretAccessKey: s3.secretAccessKey ?? '' },
  });
  try {
    const { Contents } = await client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket ?? '', Prefix: prefix }),
    );
    return (Contents ?? []).map((o) => o.Key ?? '');
  } finally {
    client.destroy();
  }
}

/** What a worker needs to write to `s3` (the S3 server, or a recording proxy in front of it). */
export function s3Env(s3: S3Config): Record<string, string> {
  return {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: s3.endpoint ?? '',
    S3_REGION: s3.region,
    S3_BUCKET: s3.bucket ?? '',
    S3_ACCESS_KEY_ID: s3.accessKeyId ?? '',
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey ?? '',
    S3_FORCE_PATH_STYLE: 'true',
  };
}
