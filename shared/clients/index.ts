/** One factory per external client: Redis (ioredis, BullMQ-ready) and MongoDB. */
export * from './redis.ts';
export * from './mongo.ts';
