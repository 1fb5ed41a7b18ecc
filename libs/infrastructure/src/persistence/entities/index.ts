/** TypeORM entities for the aggregates this service writes; reads of other tables go straight from SQL. */
export const ORM_ENTITIES: Function[] = [];
