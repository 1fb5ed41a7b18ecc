import { SystemPermissions as P, ValidationError } from '@app/domain';
import { anActor } from '@app/domain/testing/export-job.factory';
import { AccessDeniedError, ResourceNotFoundError } from '../../../auth/access-errors';
import type { CallContext } from '../../../auth/call-context';
import type { AuditEntry } from '../../../ports/audit-log';
import { WebhookDestinationGuard } from '../../../ports/webhook-destination-guard';
import {
  type NewWebhookEndpoint,
  type Page,
  type WebhookDeliveryView,
  WebhookEndpointStore,
  type WebhookEndpointView,
} from '../../../ports/webhook-endpoint.store';
import { FixedClock } from '../../../testing/api-fakes';
import {
  CreateWebhookEndpointCommand,
  DeleteWebhookEndpointCommand,
  RotateWebhookSecretCommand,
} from './manage-webhook-endpoints.command';
import {
  CreateWebhookEndpointHandler,
  DeleteWebhookEndpointHandler,
  RotateWebhookSecretHandler,
} from './manage-webhook-endpoints.handler';

const NOW = new Date('2026-11-30T12:00:00Z');
const admin = anActor({ isAdmin: true, permissions: P.ImportExportTickets });
const context = (actor = admin): CallContext => ({ actor, ip: '203.0.113.9', userAgent: 'spec' });

/** Endpoints of one tenant in memory, with the audit entries written alongside, in order. */
class InMemoryEndpoints extends WebhookEndpointStore {
  readonly rows = new Map<string, NewWebhookEndpoint & { previousSecret: string | null }>();
  readonly audit: AuditEntry[] = [];

  add(endpoint: NewWebhookEndpoint, audit: AuditEntry): Promise<void> {
    this.rows.set(endpoint.id, { ...endpoint, previousSecret: null });
    this.audit.push(audit);
    return Promise.resolve();
  }
  find(tenantId: string, id: string): Promise<WebhookEndpointView | null> {
    const row = this.rows.get(id);
    return Promise.resolve(row && row.tenantId === tenantId ? this.view(row) : null);
  }
  list(): Promise<Page<WebhookEndpointView>> {
    throw new Error('not expected');
  }
  remove(tenantId: string, id: string, audit: AuditEntry): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.tenantId !== tenantId) return Promise.resolve(false);
    this.rows.delete(id);
    this.audit.push(audit);
    return Promise.resolve(true);
  }
  rotateSecret(
    tenantId: string,
    id: string,
    rotation: { secret: string; previousValidUntil: Date },
    audit: AuditEntry,
  ): Promise<WebhookEndpointView | null> {
    const row = this.rows.get(id);
    if (!row || row.tenantId !== tenantId) return Promise.resolve(null);
    this.rows.set(id, { ...row, previousSecret: row.secret, secret: rotation.secret });
    this.audit.push(audit);
    return Promise.resolve({ ...this.view(row), previousSecretExpiresAt: rotation.previousValidUntil });
  }
  listDeliveries(): Promise<Page<WebhookDeliveryView>> {
    throw new Error('not expected');
  }
  private view(row: NewWebhookEndpoint): WebhookEndpointView {
    return {
      id: row.id,
      tenantId: row.tenantId,
      url: row.url,
      events: row.events,
      description: row.description,
      status: 'enabled',
      disabledReason: null,
      disabledAt: null,
      createdAt: row.createdAt,
      secretRotatedAt: null,
      previousSecretExpiresAt: null,
    };
  }
}

class ScriptedGuard extends WebhookDestinationGuard {
  readonly asked: string[] = [];
  constructor(private readonly answer: string | null = null) {
    super();
  }
  refusal(url: string): Promise<string | null> {
    this.asked.push(url);
    return Promise.resolve(this.answer);
  }
}

function world(guard = new ScriptedGuard()) {
  const endpoints = new InMemoryEndpoints();
  const clock = new FixedClock(NOW);
  return {
    endpoints,
    guard,
    create: new CreateWebhookEndpointHandler(
      endpoints,
      guard,
      { allowHttp: false, retryScale: 1, queueCheckIntervalMs: 15_000 },
      clock,
    ),
    remove: new DeleteWebhookEndpointHandler(endpoints),
    rotate: new RotateWebhookSecretHandler(endpoints, clock),
  };
}

const input = { url: 'https://hooks.example.com/exports', events: ['export.completed'] };

describe('webhook endpoint commands', () => {
  it.each([
    ['an agent', anActor({ permissions: P.ImportExportTickets })],
    ['an admin without the export permission', anActor({ isAdmin: true, permissions: P.ManageTickets })],
  ])('refuse %s before reading or resolving anything', async (_, actor) => {
    const { create, remove, rotate, guard, endpoints } = world();
    await expect(create.execute(new CreateWebhookEndpointCommand(context(actor), input))).rejects.toThrow(
      AccessDeniedError,
    );
    await expect(remove.execute(new DeleteWebhookEndpointCommand(context(actor), 'x'))).rejects.toThrow(
      AccessDeniedError,
    );
    await expect(rotate.execute(new RotateWebhookSecretCommand(context(actor), 'x'))).rejects.toThrow(
      AccessDeniedError,
    );
    expect(guard.asked).toEqual([]);
    expect(endpoints.audit).toEqual([]);
  });

  it('create: checks the destination, stores a new whsec_ secret, returns it once, audits', async () => {
    const { create, guard, endpoints } = world();
    const { endpoint, secret } = await create.execute(new CreateWebhookEndpointCommand(context(), input));
    expect(guard.asked).toEqual([input.url]);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoints.rows.get(endpoint.id)?.secret).toBe(secret);
    expect(endpoint).not.toHaveProperty('secret');
    expect(endpoints.audit).toEqual([
      {
        tenantId: admin.tenantId,
        actorId: admin.userId,
        action: 'webhook.created',
        jobId: null,
        ip: '203.0.113.9',
        userAgent: 'spec',
        details: { endpointId: endpoint.id, url: input.url, events: ['export.completed'] },
      },
    ]);
  });

  it('create: a refused destination is a 400 on url, and nothing is stored', async () => {
    const { create, endpoints } = world(new ScriptedGuard('must not point to a private address'));
    const failure = create.execute(new CreateWebhookEndpointCommand(context(), input));
    await expect(failure).rejects.toThrow(ValidationError);
    await expect(failure).rejects.toMatchObject({
      errors: [{ field: 'url', message: 'must not point to a private address' }],
    });
    expect(endpoints.rows.size).toBe(0);
  });

  it("rotate and delete: another tenant's endpoint is not found; a rotation keeps the old secret for 24 h", async () => {
    const { create, rotate, remove, endpoints } = world();
    const { endpoint, secret } = await create.execute(new CreateWebhookEndpointCommand(context(), input));
    const stranger = anActor({
      tenantId: 'another-tenant',
      isAdmin: true,
      permissions: P.ImportExportTickets,
    });
    await expect(
      rotate.execute(new RotateWebhookSecretCommand(context(stranger), endpoint.id)),
    ).rejects.toThrow(ResourceNotFoundError);
    await expect(
      remove.execute(new DeleteWebhookEndpointCommand(context(stranger), endpoint.id)),
    ).rejects.toThrow(ResourceNotFoundError);

    const rotated = await rotate.execute(new RotateWebhookSecretCommand(context(), endpoint.id));
    expect(rotated.secret).not.toBe(secret);
    expect(endpoints.rows.get(endpoint.id)).toMatchObject({ secret: rotated.secret, previousSecret: secret });
    expect(rotated.endpoint.previousSecretExpiresAt).toEqual(new Date(NOW.getTime() + 24 * 3600_000));
    await remove.execute(new DeleteWebhookEndpointCommand(context(), endpoint.id));
    expect(endpoints.audit.map((a) => a.action)).toEqual([
      'webhook.created',
      'webhook.secret_rotated',
      'webhook.deleted',
    ]);
  });
});
