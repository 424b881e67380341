/**
 * Compile-on-first-use for the per-route functions Fastify asks for at start-up (response
 * serializers in serializers.ts, request validators in validators.ts). Building them all
 * before the server listens was the largest cost of start-up after module loading
 * (docs/BENCHMARKS.md, "Footprint"); here each compiles when its route first needs it, and
 * `warm()` compiles the rest in the background once the server listens, one per event-loop
 * turn, so the steady state is that of eager compilation and a schema that cannot compile is
 * still reported (its route answers 500 if used).
 */
export class LazyCompiler {
  private readonly pending = new Set<() => unknown>();
  private stopped = false;

  /**
   * `compileNow` runs once, on the first call of the returned function or during `warm()`,
   * whichever comes first. A compile that throws is tried again on the next call.
   */
  once<T>(compileNow: () => T): () => T {
    let compiled: { value: T } | null = null;
    const compile = (): T => {
      if (!compiled) {
        this.pending.delete(compile);
        compiled = { value: compileNow() };
      }
      return compiled.value;
    };
    this.pending.add(compile);
    return compile;
  }

  async warm(onError: (err: unknown) => void): Promise<void> {
    for (const compile of this.pending) {
      if (this.stopped) return;
      try {
        compile();
      } catch (err) {
        onError(err);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
