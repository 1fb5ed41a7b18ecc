import { InitialSchema1763884800000 } from './1763884800000-initial-schema';
import { ExportUploads1763971200000 } from './1763971200000-export-uploads';

/** In order. A migration, once released, is never edited: add a new one. */
export const MIGRATIONS = [InitialSchema1763884800000, ExportUploads1763971200000];
