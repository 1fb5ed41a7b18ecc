import { InitialSchema1763884800000 } from './1763884800000-initial-schema';

/** In order. A migration, once released, is never edited: add a new one. */
export const MIGRATIONS = [InitialSchema1763884800000];
