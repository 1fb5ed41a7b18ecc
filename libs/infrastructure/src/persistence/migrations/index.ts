import { InitialSchema1763884800000 } from './1763884800000-initial-schema';
import { ExportUploads1763971200000 } from './1763971200000-export-uploads';
import { JobProgressAndRetryFence1764230400015 } from './1764230400015-job-progress-and-retry-fence';
import { AzureStorageProvider1764460800000 } from './1764460800000-azure-storage-provider';
import { Webhooks1764489600000 } from './1764489600000-webhooks';
import { MailNotifications1764489600001 } from './1764489600001-mail-notifications';
import { RecentCompletionsIndex1764489600002 } from './1764489600002-recent-completions-index';
import { OutboxOverdueIndexes1764576000000 } from './1764576000000-outbox-overdue-indexes';

/** In order. A migration, once released, is never edited: add a new one. */
export const MIGRATIONS = [
  InitialSchema1763884800000,
  ExportUploads1763971200000,
  JobProgressAndRetryFence1764230400015,
  AzureStorageProvider1764460800000,
  Webhooks1764489600000,
  MailNotifications1764489600001,
  RecentCompletionsIndex1764489600002,
  OutboxOverdueIndexes1764576000000,
];
