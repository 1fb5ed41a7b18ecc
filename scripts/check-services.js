#!/usr/bin/env node
// Answers whether PostgreSQL and Redis (from DATABASE_URL / REDIS_URL, contract defaults otherwise) accept
// connections. Plain JavaScript so it runs before anything is built. Usage: check-services.js [--wait SECONDS]
'use strict';
const net = require('node:net');
const { Client } = require('pg');

const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/exports';
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const waitIndex = process.argv.indexOf('--wait');
const waitSeconds = waitIndex > 0 ? Number(process.argv[waitIndex + 1]) : 0;

async function postgresAnswers() {
  // The maintenance database: the service's own database may not exist before the first migration.
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error.message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redisAnswers() {
  const url = new URL(redisUrl);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (problem) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(2000, () => done('timed out'));
    socket.on('error', (error) => done(error.message));
    socket.on('connect', () => {
      const auth = url.password ? `AUTH ${decodeURIComponent(url.password)}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.on('data', (data) =>
      done(
        /\+PONG/.test(data.toString()) ? null : `unexpected answer ${JSON.stringify(data.toString().trim())}`,
      ),
    );
  });
}

async function check() {
  const [postgres, redis] = await Promise.all([postgresAnswers(), redisAnswers()]);
  return { postgres, redis };
}

(async () => {
  const deadline = Date.now() + waitSeconds * 1000;
  let result = await check();
  while ((result.postgres || result.redis) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    result = await check();
  }
  for (const [name, problem] of Object.entries(result)) {
    process.stdout.write(`${name}: ${problem ? `not reachable (${problem})` : 'ok'}\n`);
  }
  process.exit(result.postgres || result.redis ? 1 : 0);
})();
