import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed webhooks (issue 14).
 * - `export_job_events`: the outbox. A trigger writes one row whenever a job's status becomes completed, failed,
 *   cancelled or expired, in the transaction that changes it, whatever path changed it (the aggregate's save, the
 *   cleanup's set-based expiry, a reconciler): exactly one event per state change, never one without the change.
 *   Workers relay undispatched rows into deliveries, and delete rows 7 days after their dispatch.
 * - `webhook_endpoints`: secrets are stored encrypted (AES-256-GCM, see webhook-secret-cipher.ts); after a rotation
 *   the previous secret signs too until `previous_secret_expires_at`. `failing_since`: the first failed delivery
 *   with no success after it (24 h of that disables the endpoint).
 * - `webhook_deliveries`: one per (endpoint, event); its body is fixed when made, so every attempt sends the same
 *   bytes under the same `webhook-id`. `locked_until` is the lease of the attempt in flight; `first_failed_at`
 *   starts the delivery's retry window.
 */
export class Webhooks1764489600000 implements MigrationInterface {
  name = 'Webhooks1764489600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE export_job_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        job_id uuid NOT NULL,
        type text NOT NULL,
        status text NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz
      );
      CREATE INDEX export_job_events_undispatched_idx ON export_job_events (id) WHERE dispatched_at IS NULL;
      CREATE INDEX export_job_events_dispatched_idx ON export_job_events (dispatched_at) WHERE dispatched_at IS NOT NULL;

      CREATE FUNCTION export_job_events_record() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IN ('completed', 'failed', 'cancelled', 'expired') AND NEW.status IS DISTINCT FROM OLD.status THEN
          INSERT INTO export_job_events (tenant_id, job_id, type, status)
            VALUES (NEW.tenant_id, NEW.id, 'export.' || NEW.status, NEW.status);
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER export_jobs_record_events AFTER UPDATE OF status ON export_jobs
        FOR EACH ROW EXECUTE FUNCTION export_job_events_record();

      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        url text NOT NULL,
        events text[] NOT NULL,
        description text,
        secret_encrypted text NOT NULL,
        previous_secret_encrypted text,
        previous_secret_expires_at timestamptz,
        secret_rotated_at timestamptz,
        created_by_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz,
        disabled_reason text,
        failing_since timestamptz
      );
      CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at DESC, id DESC);

      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_id uuid NOT NULL,
        type text NOT NULL,
        job_id uuid NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        enqueued boolean NOT NULL DEFAULT false,
        locked_until timestamptz,
        last_response_code integer,
        last_error text,
        last_duration_ms integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        first_failed_at timestamptz,
        last_attempt_at timestamptz,
        next_attempt_at timestamptz,
        delivered_at timestamptz,
        UNIQUE (endpoint_id, event_id)
      );
      CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
      CREATE INDEX webhook_deliveries_unenqueued_idx ON webhook_deliveries (created_at)
        WHERE status = 'pending' AND NOT enqueued;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER IF EXISTS export_jobs_record_events ON export_jobs;
      DROP FUNCTION IF EXISTS export_job_events_record();
      DROP TABLE IF EXISTS webhook_deliveries, webhook_endpoints, export_job_events;
    `);
  }
}
