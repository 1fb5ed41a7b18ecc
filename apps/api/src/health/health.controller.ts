import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FileStorage } from '@app/application';
import { DataSource } from 'typeorm';
import { Public } from '../auth/public.decorator';
import type { ApiResponse as HttpResponse } from '../http/api-request';
import { PROBLEM_CONTENT_TYPE } from '../http/problem';
import { RedisProbe } from './redis-probe';

type CheckResult = 'ok' | 'unavailable';
const CHECK_TIMEOUT_MS = 3000;

export class LiveDto {
  @ApiProperty({ example: 'ok' })
  status!: 'ok';
}

export class ReadyChecksDto {
  @ApiProperty({ enum: ['ok', 'unavailable'] })
  database!: CheckResult;

  @ApiProperty({ enum: ['ok', 'unavailable'] })
  redis!: CheckResult;

  @ApiProperty({ enum: ['ok', 'unavailable'] })
  storage!: CheckResult;
}

export class ReadyDto {
  @ApiProperty({ example: 'ok' })
  status!: 'ok';

  @ApiProperty({ type: ReadyChecksDto })
  checks!: ReadyChecksDto;
}

async function check(probe: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch {
    return 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

@Public()
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: RedisProbe,
    private readonly storage: FileStorage,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up' })
  @ApiOkResponse({ type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'The process can serve: database, Redis and storage answer' })
  @ApiOkResponse({ type: ReadyDto })
  @ApiResponse({ status: 503, description: 'A dependency does not answer; checks names it' })
  async ready(@Res({ passthrough: true }) response: HttpResponse): Promise<object> {
    const [database, redis, storage] = await Promise.all([
      check(() => this.dataSource.query('SELECT 1')),
      check(() => this.redis.ping()),
      check(() => this.storage.check()),
    ]);
    const checks: ReadyChecksDto = { database, redis, storage };
    if (database === 'ok' && redis === 'ok' && storage === 'ok') return { status: 'ok', checks };
    const down = Object.entries(checks)
      .filter(([, result]) => result !== 'ok')
      .map(([name]) => name);
    response.status(503);
    response.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    response.setHeader('Retry-After', '5');
    return {
      type: 'https://export-service.dev/problems/service-unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: `Not ready: ${down.join(', ')} unavailable.`,
      code: 'SERVICE_UNAVAILABLE',
      checks,
    };
  }
}
