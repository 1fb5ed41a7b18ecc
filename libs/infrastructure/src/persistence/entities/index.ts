import { ExportJobOrmEntity } from './export-job.orm-entity';
import { StoredFileOrmEntity } from './stored-file.orm-entity';
import { UserOrmEntity } from './user.orm-entity';

export { ExportJobOrmEntity, StoredFileOrmEntity, UserOrmEntity };

/** TypeORM entities for the aggregates this service writes; reads of other tables go straight from SQL. */
export const ORM_ENTITIES = [ExportJobOrmEntity, StoredFileOrmEntity, UserOrmEntity];
