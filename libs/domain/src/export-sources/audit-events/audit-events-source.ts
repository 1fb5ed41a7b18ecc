import { type Actor, actorHas } from '../../permissions/actor';
import { canDownloadExportJob } from '../../permissions/export-policy';
import { SystemPermissions } from '../../permissions/system-permissions';
import type { ExportSourceDefinition } from '../export-source-definition';
import { parseRecordQuery, type RecordSourceShape } from '../record-query';

const SHAPE: RecordSourceShape = {
  key: 'audit-events',
  columns: [
    { key: 'time', label: 'Time', type: 'date' },
    { key: 'actorEmail', label: 'Actor Email', type: 'text' },
    { key: 'action', label: 'Action', type: 'text' },
    { key: 'jobId', label: 'Job ID', type: 'text' },
    { key: 'ip', label: 'IP', type: 'text' },
    { key: 'userAgent', label: 'User Agent', type: 'text' },
    { key: 'details', label: 'Details', type: 'text' },
  ],
  defaultColumns: ['time', 'actorEmail', 'action', 'jobId', 'ip', 'userAgent', 'details'],
  filterFields: [
    { key: 'time', type: 'date', operators: ['after', 'before', 'on_or_after', 'on_or_before'] },
    // Actions are open-ended (every audited change adds one): any text, compared exactly.
    { key: 'action', type: 'choice', operators: ['is', 'is_not', 'is_any_of', 'is_none_of'] },
    // The actor by email, as people know each other; empty for rows no user caused (the retention cleanup).
    {
      key: 'actor',
      type: 'text',
      operators: ['eq', 'neq', 'contains', 'starts_with', 'ends_with', 'is_empty', 'is_not_empty'],
    },
  ],
  sortFields: ['time'],
  defaultSort: [{ field: 'time', direction: 'desc' }],
};

/**
 * The tenant's audit log (CONTRACT §7), newest first and ties by id. It names who did what: only the tenant's
 * export admins (isAdmin AND ImportExportTickets) may request it, and its own export is audited like any other.
 */
export const AUDIT_EVENTS_SOURCE: ExportSourceDefinition = {
  key: SHAPE.key,
  label: 'Audit log',
  columns: SHAPE.columns,
  defaultColumns: SHAPE.defaultColumns,
  filterFields: SHAPE.filterFields,
  defaultSort: SHAPE.defaultSort,
  usesViews: false,
  canRequest: (actor: Actor) => actor.isAdmin && actorHas(actor, SystemPermissions.ImportExportTickets),
  requestDeniedMessage:
    'Exporting the audit log needs an administrator with the Import / Export Tickets permission.',
  canDownload: canDownloadExportJob,
  parseQuery: (refinement) => parseRecordQuery(SHAPE, refinement),
};
