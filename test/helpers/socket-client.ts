import WebSocket from 'ws';

export type AnyFrame = { type: string } & Record<string, any>;

/** A small real-socket client for tests and benchmarks: collects frames, waits for matches. */
export class SocketClient {
  readonly frames: AnyFrame[] = [];
  closeCode: number | null = null;
  /** The `ready` frame after `connect`. */
  ready: AnyFrame | null = null;
  closeReason = '';
  private waiters: { pred: (f: AnyFrame) => boolean; resolve: (f: AnyFrame) => void; from: number }[] = [];
  private closeWaiters: ((code: number) => void)[] = [];
  /** Optional fast path for benchmarks. */
  onFrame: ((f: AnyFrame) => void) | null = null;

  private constructor(
    readonly ws: WebSocket,
    private readonly keep: boolean,
  ) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as AnyFrame;
      this.onFrame?.(frame);
      if (this.keep) this.frames.push(frame);
      for (const w of [...this.waiters]) {
        if (w.pred(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = String(reason);
      for (const w of this.closeWaiters) w(code);
    });
    ws.on('error', () => {});
  }

  static open(url: string, options: { keep?: boolean } = {}): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new SocketClient(ws, options.keep ?? true);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(new Error(`unexpected response ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  /** Opens, authenticates by query token and waits for `ready`. */
  static async connect(base: string, token: string, path = '/api/v1/ws'): Promise<SocketClient> {
    const client = await SocketClient.open(`${base}${path}?token=${encodeURIComponent(token)}`);
    client.ready = await client.next((f) => f.type === 'ready');
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (already received or future) matching `pred`. */
  next(pred: (f: AnyFrame) => boolean, timeoutMs = 5000): Promise<AnyFrame> {
    const seen = this.frames.find(pred);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      const done = (f: AnyFrame) => {
        clearTimeout(timer);
        const i = this.frames.indexOf(f);
        if (i >= 0) this.frames.splice(i, 1);
        resolve(f);
      };
      this.waiters.push({ pred, resolve: done, from: this.frames.length });
    });
  }

  closed(timeoutMs = 5000): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.closeWaiters.push((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** Frames of one type received so far (and removes them). */
  take(type: string): AnyFrame[] {
    const out = this.frames.filter((f) => f.type === type);
    for (const f of out) this.frames.splice(this.frames.indexOf(f), 1);
    return out;
  }

  close(): void {
    this.ws.close();
  }
}
