/**
 * Passes values on at most once per interval, and never loses the latest one: a value that arrives
 * too soon is held and sent when the interval is over (or at `flush()`), replacing any held before it.
 * The trainer uses it so step metrics cannot flood the IPC channel however fast training runs.
 */
export class LatestValueThrottle<T> {
  private lastSentAt = -Infinity;
  private held: { value: T } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly emit: (value: T) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  push(value: T): void {
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0 && !this.held) {
      this.send(value);
      return;
    }
    this.held = { value };
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, wait));
  }

  /** Sends the held value now, if any (before an evaluation or the end of the run, so the chart is complete). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    this.held = undefined;
    if (held) this.send(held.value);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.held = undefined;
  }

  private send(value: T): void {
    this.lastSentAt = this.now();
    this.emit(value);
  }
}
