import { describe, expect, it } from 'vitest';
import { Semaphore, withRetry } from '../../src/transport/limit.js';

describe('Semaphore', () => {
  it('lets at most size holders in, in arrival order', async () => {
    const sem = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const release = await sem.acquire();
        order.push(i);
        peak = Math.max(peak, ++active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        release();
        release(); // a second release is harmless
      }),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sem.inUse).toBe(0);
  });
});

describe('withRetry', () => {
  it('retries retryable errors and then succeeds', async () => {
    let calls = 0;
    const v = await withRetry(
      async () => {
        if (++calls < 3) throw new Error('(SSH) Channel open failure: open failed');
        return 'ok';
      },
      (e) => /Channel open failure/.test(String(e)),
      { attempts: 5, baseMs: 1 },
    );
    expect(v).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after the last attempt, and at once on other errors', async () => {
    let calls = 0;
    const fail = () => withRetry(async () => { calls++; throw new Error('nope'); }, () => true, { attempts: 3, baseMs: 1 });
    await expect(fail()).rejects.toThrow('nope');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('fatal'); }, () => false, { attempts: 3, baseMs: 1 })).rejects.toThrow('fatal');
    expect(calls).toBe(1);
  });
});
