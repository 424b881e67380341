/**
 * Group commit for audit rows of reads. Every read of patient data writes an audit row before
 * the reply goes out; done one INSERT per request, that write (a round trip and a commit each)
 * cost more than the read itself on list endpoints (docs/BENCHMARKS.md, "Read paths").
 * Here rows that arrive while an INSERT is in flight wait and go together in the next one, so
 * under concurrency many requests share one statement and one commit, and an idle server
 * still writes a lone row at once. Each caller's promise settles only when its own rows are
 * committed — the guarantee is unchanged: no reply before its audit row is stored.
 */
export class GroupCommit<Row> {
  private queue: { rows: Row[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;
  private drained: (() => void)[] = [];

  constructor(
    private readonly write: (rows: Row[]) => Promise<void>,
    private readonly maxRows = 500,
  ) {}

  add(rows: Row[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        let count = 0;
        let take = 0;
        while (take < this.queue.length && (take === 0 || count + this.queue[take]!.rows.length <= this.maxRows)) count += this.queue[take++]!.rows.length;
        const batch = this.queue.splice(0, take);
        try {
          await this.write(batch.flatMap((entry) => entry.rows));
          for (const entry of batch) entry.resolve();
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // One bad row must not fail its neighbours' requests: write each caller's rows alone.
          for (const entry of batch) await this.write(entry.rows).then(entry.resolve, entry.reject);
        }
      }
    } finally {
      this.flushing = false;
      const waiters = this.drained;
      this.drained = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * Resolves once every row handed in so far is written (or has failed its caller). Shutdown
   * awaits it before the database closes (app.ts), so no acknowledged read loses its row.
   */
  drain(): Promise<void> {
    if (!this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }
}
