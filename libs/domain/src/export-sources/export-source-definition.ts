import type { Actor } from '../permissions/actor';
import type { OwnedByRequester } from '../permissions/export-policy';
import type { TicketFieldType } from '../tickets/ticket-fields';
import type { ConditionOperator, SortDirection, TicketQuery } from '../tickets/ticket-query';

/** One column of an export file: its key (JSON), its header label and how its cells are typed. */
export interface ExportColumn {
  readonly key: string;
  readonly label: string;
  /** The ticket field types serve every source: the encoders type cells by them (tags: a list of strings). */
  readonly type: TicketFieldType;
}

/** A field a request may filter on, with the operators of the view condition grammar it takes. */
export interface SourceFilterField {
  readonly key: string;
  readonly type: TicketFieldType;
  readonly operators: readonly ConditionOperator[];
  /** The only values a `choice` field takes (absent: any string). */
  readonly values?: readonly string[];
}

/** A condition of the view grammar on any source's field (TicketCondition is one for tickets). */
export interface SourceCondition {
  readonly field: string;
  readonly operator: ConditionOperator;
  readonly value?: string | number;
  readonly values?: readonly string[];
}

export interface SourceConditionGroup {
  readonly and: readonly SourceCondition[];
  readonly or: readonly SourceCondition[];
}

export interface SourceSort {
  readonly field: string;
  readonly direction: SortDirection;
}

/**
 * What rows an export of any source holds and in which order, as a job stores it. A ticket export stores a
 * TicketQuery (which is one); other sources have no `search` (always null) and no `ticketIds`.
 */
export interface SourceQuery {
  readonly columns: readonly string[];
  readonly conditions: readonly SourceConditionGroup[];
  readonly sort: readonly SourceSort[];
  readonly search: string | null;
  readonly ticketIds?: readonly number[];
}

/** The parts of a request body that shape a source's rows (ExportRequestInput without format, names, zone). */
export interface SourceRefinement {
  readonly viewId?: string | null;
  readonly columns?: readonly unknown[] | null;
  readonly filters?: Readonly<Record<string, unknown>> | null;
  readonly sort?: readonly unknown[] | null;
  readonly search?: string | null;
  readonly ticketIds?: readonly unknown[] | null;
}

/** A stored ticket view a request refines, already read into its query (tickets only). */
export interface RefinedView {
  readonly id: string;
  readonly name: string;
  readonly query: TicketQuery;
}

/**
 * One export source, declared in one place: what it is called, what it holds, how a request narrows and orders
 * it, and who may request and download it. Its SQL lives in infrastructure (libs/infrastructure/src/export-sources/
 * <key>/), which must map every column and filter field declared here.
 */
export interface ExportSourceDefinition {
  readonly key: string;
  readonly label: string;
  readonly columns: readonly ExportColumn[];
  readonly defaultColumns: readonly string[];
  readonly filterFields: readonly SourceFilterField[];
  /** The order without a `sort` in the request; the SQL side always breaks ties by the row's id. */
  readonly defaultSort: readonly SourceSort[];
  /** Whether a request may name a ticket view (`viewId`); only tickets have views. */
  readonly usesViews: boolean;
  canRequest(actor: Actor): boolean;
  /** What a 403 says to an actor that may not request this source. */
  readonly requestDeniedMessage: string;
  canDownload(actor: Actor, job: OwnedByRequester): boolean;
  /** The stored query of a request (and its view, for tickets); throws ValidationError naming every bad field. */
  parseQuery(refinement: SourceRefinement, view: RefinedView | null): SourceQuery;
}
