import type { ExportJobQuery } from '@app/domain';
import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { StoredFileOrmEntity } from './stored-file.orm-entity';
import { UserOrmEntity } from './user.orm-entity';

@Entity({ name: 'export_jobs' })
export class ExportJobOrmEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'requested_by_id' }) requestedById!: string;
  @ManyToOne(() => UserOrmEntity, { eager: true, createForeignKeyConstraints: false })
  @JoinColumn({ name: 'requested_by_id' })
  requestedBy!: UserOrmEntity;
  @Column('text') source!: string;
  @Column('text') format!: string;
  @Column('jsonb') query!: ExportJobQuery;
  @Column('uuid', { name: 'view_id', nullable: true }) viewId!: string | null;
  @Column('text') status!: string;
  @Column('text', { nullable: true }) stage!: string | null;
  @Column('smallint') percent!: number;
  @Column('bigint', { name: 'rows_exported' }) rowsExported!: string;
  @Column('bigint', { name: 'total_rows', nullable: true }) totalRows!: string | null;
  @Column('timestamptz', { name: 'requested_at' }) requestedAt!: Date;
  @Column('timestamptz', { name: 'snapshot_at', nullable: true }) snapshotAt!: Date | null;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt!: Date | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  @Column('integer') attempts!: number;
  @Column('uuid', { name: 'retry_of', nullable: true }) retryOf!: string | null;
  @Column('uuid', { name: 'file_id', nullable: true }) fileId!: string | null;
  @ManyToOne(() => StoredFileOrmEntity, { eager: true, nullable: true, createForeignKeyConstraints: false })
  @JoinColumn({ name: 'file_id' })
  file!: StoredFileOrmEntity | null;
  @Column('text', { name: 'error_code', nullable: true }) errorCode!: string | null;
  @Column('text', { name: 'error_message', nullable: true }) errorMessage!: string | null;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey!: string | null;
  @Column('text', { name: 'request_hash', nullable: true }) requestHash!: string | null;
  @Column('text', { array: true }) notify!: string[];
  @Column('integer') version!: number;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  /** When the current attempt last moved on (rows exported, a later stage); null until its first row. */
  @Column('timestamptz', { name: 'progress_changed_at', nullable: true }) progressChangedAt!: Date | null;
  /** The one job that retries this one (the retry fence). */
  @Column('uuid', { name: 'retried_by_id', nullable: true }) retriedById!: string | null;
}
