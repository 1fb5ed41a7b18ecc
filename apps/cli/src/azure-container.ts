import { readConfig } from '@app/infrastructure';
import { AzureBlobFileStorage } from '@app/infrastructure/sdk-adapters';
import { runCli } from './cli';

/** `npm run azure:container`: creates AZURE_CONTAINER in the configured account unless it exists (idempotent). */
runCli('azure:container', async () => {
  const { storage } = readConfig();
  const azure = new AzureBlobFileStorage(storage.azure);
  const created = await azure.createContainerIfMissing();
  process.stdout.write(`azure:container: ${created ? 'created' : 'found'} container ${azure.container}\n`);
});
