// Clocks: the real one for the gateway, and a manual one tests advance by hand so that ticks
// and timestamps are deterministic.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock time in nanoseconds since the Unix epoch. */
  nowNs(): bigint;
  /** Monotonic time in nanoseconds (WASI's MONOTONIC clock). */
  monotonicNs(): bigint;
  /** Calls fn every periodMs until cancelled. */
  every(periodMs: number, fn: () => void): Timer;
}

export class RealClock implements Clock {
  // Wall time with nanosecond steps: the epoch offset is taken once, then the monotonic clock
  // advances it, so successive readings never go backwards.
  private readonly offset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  nowNs(): bigint {
    return process.hrtime.bigint() + this.offset;
  }
  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }
  every(periodMs: number, fn: () => void): Timer {
    const t = setInterval(fn, periodMs);
    t.unref();
    return { cancel: () => clearInterval(t) };
  }
}

interface ManualTimer {
  due: number;
  period: number;
  fn: () => void;
  cancelled: boolean;
  seq: number;
}

/**
 * A clock that only moves when told. `advance(ms)` fires every timer that falls due, in time
 * order, with the clock set to each timer's due time while it runs.
 */
export class ManualClock implements Clock {
  private ms: number;
  private timers: ManualTimer[] = [];
  private seq = 0;
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }
  nowMs(): number {
    return this.ms;
  }
  nowNs(): bigint {
    return BigInt(Math.round(this.ms * 1000)) * 1000n;
  }
  monotonicNs(): bigint {
    return this.nowNs();
  }
  set(date: Date | number): void {
    this.ms = typeof date === 'number' ? date : date.getTime();
  }
  every(periodMs: number, fn: () => void): Timer {
    const t: ManualTimer = { due: this.ms + periodMs, period: periodMs, fn, cancelled: false, seq: this.seq++ };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
        this.timers = this.timers.filter((x) => x !== t);
      },
    };
  }
  /** Moves time forward by ms, firing due timers in order. Returns how many fired. */
  advance(ms: number): number {
    const end = this.ms + ms;
    let fired = 0;
    for (;;) {
      const live = this.timers.filter((t) => !t.cancelled && t.due <= end);
      if (live.length === 0) break;
      live.sort((a, b) => a.due - b.due || a.seq - b.seq);
      const t = live[0];
      this.ms = t.due;
      t.due += t.period;
      fired++;
      t.fn();
    }
    this.ms = end;
    return fired;
  }
}
