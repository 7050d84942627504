import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { PrismaService } from '../prisma/prisma.service.js';

/**
 * The process and the database pool: prom-client's default metrics (event-loop delay, heap,
 * CPU, GC, handles) and the pool's connections in use, idle and requests waiting for one.
 */
@Injectable()
export class RuntimeMetrics {
  constructor(registry: Registry, prisma: PrismaService) {
    collectDefaultMetrics({ register: registry });
    const { pool } = prisma;
    const connections: Gauge<'state'> = new Gauge({
      name: 'sail_db_pool_connections',
      help: 'Connections of the database pool, by state (in_use, idle)',
      labelNames: ['state'],
      registers: [registry],
      collect: () => {
        connections.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
        connections.set({ state: 'idle' }, pool.idleCount);
      },
    });
    const waiting: Gauge = new Gauge({
      name: 'sail_db_pool_waiting_requests',
      help: 'Queries waiting for a free pool connection',
      registers: [registry],
      collect: () => waiting.set(pool.waitingCount),
    });
    new Gauge({
      name: 'sail_db_pool_max_connections',
      help: 'Size of the database pool (DATABASE_POOL_SIZE)',
      registers: [registry],
    }).set(pool.options.max);
  }
}
