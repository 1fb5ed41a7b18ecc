import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { BlobServiceClient } from '@azure/storage-blob';

/** Azurite's well-known development account (published by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** The connection string of Azurite's account at `endpoint` (Azurite itself, or a proxy in front of it). */
export function azuriteConnectionString(endpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint}/${AZURITE_ACCOUNT};`;
}

export interface AzuriteProcess {
  /** http://127.0.0.1:<port> (the account is the first path segment). */
  readonly endpoint: string;
  readonly connectionString: string;
  close(): Promise<void>;
  /** SIGKILL at once, synchronously (a process `exit` handler). */
  killNow(): void;
}

const AZURITE_BLOB = require.resolve('azurite/dist/src/blob/main.js');
const LISTENING = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/;
const START_TIMEOUT_MS = 20_000;

/**
 * Azurite's blob service (the npm package, a dev dependency) as a child process on 127.0.0.1, in memory: nothing
 * on disk, everything gone when it stops. Port 0 takes a free one. `--skipApiVersionCheck`: the SDK may speak a
 * newer API version than this Azurite knows.
 */
export async function startAzurite(options: { port?: number } = {}): Promise<AzuriteProcess> {
  const child = spawn(
    process.execPath,
    [
      AZURITE_BLOB,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(options.port ?? 0),
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--silent',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await listeningPort(child);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    connectionString: azuriteConnectionString(endpoint),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    },
    killNow() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Creates the container unless it exists (Azurite starts empty; the service never creates one itself). */
export async function ensureContainer(connectionString: string, container: string): Promise<void> {
  await BlobServiceClient.fromConnectionString(connectionString)
    .getContainerClient(container)
    .createIfNotExists();
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`));
    }, START_TIMEOUT_MS);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = LISTENING.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout?.off('data', read);
      child.stdout?.resume();
      child.stderr?.resume();
      child.removeAllListeners('exit');
      resolve(Number(match[1]));
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}:\n${output.trim()}`));
    });
  });
}
