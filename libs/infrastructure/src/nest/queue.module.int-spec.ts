/**
 * Redis: the connection of the test environment's REDIS_URL database, through a fault proxy; nothing is written (the
 * producer only connects). The API's queue module must close on shutdown whatever state its Redis link is in: a
 * client left reconnecting keeps the process (and jest) alive for ever.
 */
import { getQueueToken } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { FaultProxy } from '../../../../test/support/fault-proxy';
import { readConfig } from '../config/app-config';
import { EXPORT_QUEUE } from '../queue/export-queue.constants';
import { ProducerConnection } from '../queue/producer-connection';
import { ConfigModule } from './config.module';
import { QueueModule } from './queue.module';

jest.setTimeout(30_000);

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('QueueModule (producer) shutdown', () => {
  let proxy: FaultProxy;

  beforeEach(async () => {
    proxy = await FaultProxy.forUrl(readConfig().redisUrl);
  });

  afterEach(async () => {
    await proxy.close();
  });

  async function startProducer(): Promise<{ app: INestApplicationContext; producer: ProducerConnection }> {
    const config = { ...readConfig(), redisUrl: proxy.rewrite(readConfig().redisUrl) };
    @Module({ imports: [ConfigModule.forRoot(config), QueueModule.forRoot(config)] })
    class ProducerApp {}
    const app = await NestFactory.createApplicationContext(ProducerApp, { logger: false });
    await app.get<Queue>(getQueueToken(EXPORT_QUEUE)).waitUntilReady();
    return { app, producer: app.get(ProducerConnection, { strict: false }) };
  }

  it('closes with QUIT while Redis answers', async () => {
    const { app, producer } = await startProducer();
    expect(producer.client.status).toBe('ready');
    await app.close();
    await delay(200); // QUIT resolves on Redis's OK; the socket closes right after
    expect(producer.client.status).toBe('end');
    expect(proxy.openConnections).toBe(0);
  });

  it('closes while Redis is cut, and does not reconnect afterwards', async () => {
    const { app, producer } = await startProducer();
    proxy.setMode('cut');
    await delay(500);
    expect(producer.client.status).not.toBe('ready');
    proxy.setMode('pass');

    await expect(app.close()).resolves.toBeUndefined();

    const connections = proxy.connectionCount;
    await delay(2_500); // past the producer's reconnect delay (1 s at first)
    expect(proxy.connectionCount).toBe(connections);
    expect(proxy.openConnections).toBe(0);
  });
});
