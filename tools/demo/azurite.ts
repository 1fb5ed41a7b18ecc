import type { AppConfig } from '@app/infrastructure';
import {
  type AzuriteProcess,
  azuriteConnectionString,
  ensureContainer,
  startAzurite,
} from '../shared/azurite';
import { probePort } from '../shared/processes';
import { DemoFailure, firstLine } from './failure';

/** The port `UseDevelopmentStorage=true` points the Azure SDK at (http://127.0.0.1:10000/devstoreaccount1). */
const DEVELOPMENT_STORAGE_PORT = 10_000;

/** Azure settings that name the development storage: Azurite's account on 127.0.0.1:10000. */
export function usesDevelopmentStorage(config: AppConfig): boolean {
  const { driver, azure } = config.storage;
  return driver === 'azure' && /^UseDevelopmentStorage=true\b/.test(azure.connectionString ?? '');
}

export interface DemoAzurite {
  /** Null when an emulator already listened on the port (it is left alone). */
  readonly started: AzuriteProcess | null;
  readonly label: string;
}

/**
 * With STORAGE_DRIVER=azure and AZURE_STORAGE_CONNECTION_STRING=UseDevelopmentStorage=true, the demo runs against
 * Azurite: it starts one in memory on 127.0.0.1:10000 (unless something listens there already, taken to be
 * Azurite), and creates AZURE_CONTAINER in it. Everything else is the caller's: null.
 */
export async function startDemoAzurite(config: AppConfig): Promise<DemoAzurite | null> {
  if (!usesDevelopmentStorage(config)) return null;
  const container = config.storage.azure.container ?? '';
  const busy = await probePort(DEVELOPMENT_STORAGE_PORT);
  let started: AzuriteProcess | null = null;
  try {
    if (busy === null) started = await startAzurite({ port: DEVELOPMENT_STORAGE_PORT });
    await ensureContainer(azuriteConnectionString(`http://127.0.0.1:${DEVELOPMENT_STORAGE_PORT}`), container);
  } catch (error) {
    await started?.close();
    throw new DemoFailure(
      `could not prepare Azurite on 127.0.0.1:${DEVELOPMENT_STORAGE_PORT} (${firstLine(error)}); stop what listens there, or point AZURE_STORAGE_CONNECTION_STRING elsewhere`,
    );
  }
  const how = started ? 'started in memory' : 'already running';
  return {
    started,
    label: `Azurite ${how} at 127.0.0.1:${DEVELOPMENT_STORAGE_PORT}, container ${container}`,
  };
}
