import type { Actor } from '../../permissions/actor';
import { canDownloadExportJob } from '../../permissions/export-policy';
import type { ExportSourceDefinition } from '../export-source-definition';
import { parseRecordQuery, type RecordSourceShape } from '../record-query';

const TEXT_OPERATORS = ['eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with'] as const;

const SHAPE: RecordSourceShape = {
  key: 'users',
  // No column or filter reaches a credential: the SQL side maps exactly these keys (a spec holds it).
  columns: [
    { key: 'name', label: 'Name', type: 'text' },
    { key: 'email', label: 'Email', type: 'text' },
    { key: 'admin', label: 'Admin', type: 'choice' },
    { key: 'disabled', label: 'Disabled', type: 'choice' },
    { key: 'roles', label: 'Roles', type: 'tags' },
    { key: 'permissions', label: 'Permissions', type: 'tags' },
    { key: 'created', label: 'Created', type: 'date' },
  ],
  defaultColumns: ['name', 'email', 'admin', 'disabled', 'roles', 'permissions', 'created'],
  filterFields: [
    { key: 'name', type: 'text', operators: TEXT_OPERATORS },
    { key: 'email', type: 'text', operators: TEXT_OPERATORS },
    { key: 'admin', type: 'choice', operators: ['is'], values: ['true', 'false'] },
    { key: 'disabled', type: 'choice', operators: ['is'], values: ['true', 'false'] },
    { key: 'created', type: 'date', operators: ['after', 'before', 'on_or_after', 'on_or_before'] },
  ],
  sortFields: ['name', 'email', 'created'],
  defaultSort: [{ field: 'name', direction: 'asc' }],
};

/**
 * The tenant's staff directory with roles and effective permissions, for access reviews: any administrator may
 * request it (downloading still needs an export admin, like every export).
 */
export const USERS_SOURCE: ExportSourceDefinition = {
  key: SHAPE.key,
  label: 'Staff users',
  columns: SHAPE.columns,
  defaultColumns: SHAPE.defaultColumns,
  filterFields: SHAPE.filterFields,
  defaultSort: SHAPE.defaultSort,
  usesViews: false,
  canRequest: (actor: Actor) => actor.isAdmin,
  requestDeniedMessage: 'Exporting the staff users needs an administrator.',
  canDownload: canDownloadExportJob,
  parseQuery: (refinement) => parseRecordQuery(SHAPE, refinement),
};
