// A counting semaphore: at most `size` holders at a time, first come first served.
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {
    if (size < 1) throw new Error(`semaphore size must be >= 1, got ${size}`);
  }

  /** Resolves with a release function once a slot is free. */
  async acquire(): Promise<() => void> {
    if (this.active >= this.size) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }

  get inUse(): number {
    return this.active;
  }
}

/** Retry `fn` while `retryable(err)`, sleeping base, 2*base, 4*base ... ms between tries. */
export async function withRetry<T>(
  fn: () => Promise<T>,
  retryable: (err: unknown) => boolean,
  opts: { attempts: number; baseMs: number },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= opts.attempts || !retryable(err)) throw err;
      const delay = opts.baseMs * 2 ** (attempt - 1);
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay)); // jitter spreads retries apart
    }
  }
}
