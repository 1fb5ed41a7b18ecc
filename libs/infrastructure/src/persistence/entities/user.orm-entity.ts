import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Read-only here: users are managed by the help-desk, this service only resolves them. */
@Entity({ name: 'users' })
export class UserOrmEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') email!: string;
  @Column('text') name!: string;
  @Column('boolean', { name: 'is_admin' }) isAdmin!: boolean;
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt!: Date | null;
}
