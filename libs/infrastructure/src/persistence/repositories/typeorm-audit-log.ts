import { AuditLog, type AuditEntry } from '@app/application';
import type { DataSource } from 'typeorm';
import { insertAuditRows } from './audit-rows';

export class TypeormAuditLog extends AuditLog {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async record(entry: AuditEntry): Promise<void> {
    await insertAuditRows(this.dataSource.manager, [entry]);
  }
}
