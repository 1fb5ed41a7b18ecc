import type { StorageProvider } from '@app/application';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A file kept in storage for a tenant (a "media item"): where it is and what it is. */
@Entity({ name: 'stored_files' })
export class StoredFileOrmEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'content_type' }) contentType!: string;
  @Column('bigint', { name: 'size_bytes' }) sizeBytes!: string;
  @Column('text') sha256!: string;
  @Column('text') provider!: StorageProvider;
  @Column('text', { nullable: true }) bucket!: string | null;
  @Column('text', { name: 'object_key' }) objectKey!: string;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt!: Date;
  @Column('timestamptz', { name: 'deleted_at', nullable: true }) deletedAt!: Date | null;
}
