import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { WebhookDeliveryView, WebhookEndpointView, WebhookEndpointWithSecret } from '@app/application';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_LIMITS, type WebhookEventType } from '@app/domain';
import { IsArray, IsOptional, IsString } from 'class-validator';

/**
 * POST /webhook-endpoints. The DTO checks JSON types only; what the values mean (an https URL, known events, the
 * description's length, a public destination) is checked by the command, which names every bad field at once.
 */
export class CreateWebhookEndpointDto {
  @ApiProperty({
    description: 'https URL (http only with WEBHOOK_ALLOW_HTTP=true) that resolves to public addresses',
    maxLength: WEBHOOK_LIMITS.maxUrlLength,
    example: 'https://hooks.example.com/exports',
  })
  @IsString()
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['export.completed', 'export.failed'] })
  @IsArray()
  @IsString({ each: true })
  events!: string[];

  @ApiPropertyOptional({ maxLength: WEBHOOK_LIMITS.maxDescriptionLength, example: 'Data pipeline' })
  @IsOptional()
  @IsString()
  description?: string;
}

const date = (value: Date | null): string | null => (value === null ? null : value.toISOString());

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'https://hooks.example.com/exports' })
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  events!: WebhookEventType[];

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ enum: ['enabled', 'disabled'] })
  status!: 'enabled' | 'disabled';

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['gone', 'failing'],
    description: '`gone`: the endpoint answered 410; `failing`: its deliveries failed for 24 h',
  })
  disabledReason!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  disabledAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  secretRotatedAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until then deliveries are signed with the previous secret too',
  })
  previousSecretExpiresAt!: string | null;

  static from(endpoint: WebhookEndpointView): WebhookEndpointDto {
    return {
      id: endpoint.id,
      url: endpoint.url,
      events: [...endpoint.events],
      description: endpoint.description,
      status: endpoint.status,
      disabledReason: endpoint.disabledReason,
      disabledAt: date(endpoint.disabledAt),
      createdAt: endpoint.createdAt.toISOString(),
      secretRotatedAt: date(endpoint.secretRotatedAt),
      previousSecretExpiresAt: date(endpoint.previousSecretExpiresAt),
    };
  }
}

/** An endpoint with its signing secret: the answer to creation and rotation, the only ones that show it. */
export class WebhookEndpointWithSecretDto extends WebhookEndpointDto {
  @ApiProperty({
    description: 'Standard Webhooks signing secret; shown once, store it now',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;

  static withSecret({ endpoint, secret }: WebhookEndpointWithSecret): WebhookEndpointWithSecretDto {
    return { ...WebhookEndpointDto.from(endpoint), secret };
  }
}

export class WebhookEndpointListDto {
  @ApiProperty({ type: [WebhookEndpointDto] })
  items!: WebhookEndpointDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor!: string | null;
}

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid', description: 'The delivery; its `webhook-id` header is `msg_<id>`' })
  id!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES })
  type!: WebhookEventType;

  @ApiProperty({ format: 'uuid' })
  jobId!: string;

  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] })
  status!: 'pending' | 'succeeded' | 'failed';

  @ApiProperty({ example: 1 })
  attempts!: number;

  @ApiProperty({ type: Number, nullable: true, example: 200 })
  lastResponseCode!: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'The endpoint answered 503.' })
  lastError!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'How long the last attempt took (ms)' })
  lastDurationMs!: number | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastAttemptAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When a pending delivery is retried',
  })
  nextAttemptAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt!: string | null;

  static from(delivery: WebhookDeliveryView): WebhookDeliveryDto {
    return {
      id: delivery.id,
      type: delivery.type,
      jobId: delivery.jobId,
      status: delivery.status,
      attempts: delivery.attempts,
      lastResponseCode: delivery.lastResponseCode,
      lastError: delivery.lastError,
      lastDurationMs: delivery.lastDurationMs,
      createdAt: delivery.createdAt.toISOString(),
      lastAttemptAt: date(delivery.lastAttemptAt),
      nextAttemptAt: date(delivery.nextAttemptAt),
      deliveredAt: date(delivery.deliveredAt),
    };
  }
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] })
  items!: WebhookDeliveryDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor!: string | null;
}
