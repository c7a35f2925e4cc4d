import { describe, expect, it } from 'vitest';
import { Lifecycle } from './lifecycle.ts';
import { jsonLogger } from './logger.ts';

describe('Lifecycle', () => {
  it('closes in reverse start order, once, even when one close fails', async () => {
    const lines: string[] = [];
    const lifecycle = new Lifecycle(jsonLogger('test', (l) => lines.push(l)));
    const order: string[] = [];
    lifecycle.add('redis', () => void order.push('redis'));
    lifecycle.add('worker', () => {
      order.push('worker');
      throw new Error('boom');
    });
    lifecycle.add('http', async () => void order.push('http'));
    await Promise.all([lifecycle.close(), lifecycle.close()]);
    await lifecycle.close();
    expect(order).toEqual(['http', 'worker', 'redis']);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'error', service: 'test', msg: 'close failed', resource: 'worker' });
  });
});
