import { readFileSync } from 'node:fs';
import { globalAgent, createServer, type Server } from 'node:https';
import { createDecipheriv, createECDH, hkdfSync, randomBytes, type ECDH } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * Test doubles that are real servers: an SMTP server that captures what it receives, and a
 * web-push service that decrypts what it receives with the subscription's own keys. Used by
 * the notifications tests, the chaos script and nothing in production.
 */

export interface CapturedMail {
  messageId: string;
  to: string;
  subject: string;
  /** The text/plain part, decoded. */
  text: string;
  raw: string;
  receivedAt: number;
}

function decodeQuotedPrintable(s: string): string {
  return Buffer.from(
    s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const m = new RegExp(`^${name}:\\s*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head);
  return m ? m[1]!.replace(/\r?\n[ \t]+/g, ' ').trim() : '';
}

/** The text/plain part of a (possibly multipart) message. */
function textPart(raw: string): string {
  const m = /Content-Type: text\/plain[^]*?\r?\n\r?\n([^]*?)(?:\r?\n--|$)/i.exec(raw);
  const part = m
    ? m[1]!
    : raw
        .split(/\r?\n\r?\n/)
        .slice(1)
        .join('\n\n');
  const block = /Content-Type: text\/plain[^]*?\r?\n\r?\n/i.exec(raw)?.[0] ?? '';
  if (/quoted-printable/i.test(block)) return decodeQuotedPrintable(part);
  if (/base64/i.test(block)) return Buffer.from(part.replace(/\s+/g, ''), 'base64').toString('utf8');
  return part;
}

export class SmtpCapture {
  /** Every message the server accepted, in order (duplicates included). */
  readonly received: CapturedMail[] = [];
  /** SMTP server errors other than a sender hanging up (which the chaos run causes on purpose). */
  readonly errors: Error[] = [];
  private server: SMTPServer | null = null;
  port = 0;
  private waiters: { pred: (m: CapturedMail) => boolean; resolve: (m: CapturedMail) => void }[] = [];

  static async start(port = 0): Promise<SmtpCapture> {
    const capture = new SmtpCapture();
    capture.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const mail: CapturedMail = {
            messageId: header(raw, 'Message-ID'),
            to: header(raw, 'To'),
            subject: header(raw, 'Subject'),
            text: textPart(raw),
            raw,
            receivedAt: Date.now(),
          };
          capture.received.push(mail);
          for (const w of [...capture.waiters]) {
            if (w.pred(mail)) {
              capture.waiters.splice(capture.waiters.indexOf(w), 1);
              w.resolve(mail);
            }
          }
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      capture.server!.once('error', reject);
      capture.server!.listen(port, '127.0.0.1', () => resolve());
    });
    capture.port = (capture.server.server.address() as AddressInfo).port;
    // A client killed mid-session (the chaos run SIGKILLs senders) resets its connection; an SMTP
    // server reports that as an 'error' event, which must not end the process that captures mail.
    capture.server.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') capture.errors.push(error);
    });
    return capture;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): CapturedMail[] {
    return this.received.filter((m) => m.to.toLowerCase().includes(address.toLowerCase()));
  }

  next(pred: (m: CapturedMail) => boolean, timeoutMs = 10_000): Promise<CapturedMail> {
    const seen = this.received.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching email within ${timeoutMs} ms; got ${this.received.map((m) => `${m.to}: ${m.subject}`).join(' | ')}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A browser's side of a push subscription: its P-256 key pair and auth secret. */
export class PushKeys {
  readonly ecdh: ECDH = createECDH('prime256v1');
  readonly auth = randomBytes(16);
  constructor() {
    this.ecdh.generateKeys();
  }
  get p256dh(): string {
    return this.ecdh.getPublicKey().toString('base64url');
  }
  get authSecret(): string {
    return this.auth.toString('base64url');
  }

  /** RFC 8291 (aes128gcm): what the application server encrypted for this subscription. */
  decrypt(body: Buffer): string {
    const salt = body.subarray(0, 16);
    const idLength = body.readUInt8(20);
    const senderPublic = body.subarray(21, 21 + idLength);
    const ciphertext = body.subarray(21 + idLength);
    const shared = this.ecdh.computeSecret(senderPublic);
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), this.ecdh.getPublicKey(), senderPublic]);
    const ikm = Buffer.from(hkdfSync('sha256', shared, this.auth, keyInfo, 32));
    const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
    const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
    // The last record ends with the delimiter 0x02, then zero padding.
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    if (padded[end] !== 2) throw new Error('bad padding delimiter');
    return padded.subarray(0, end).toString('utf8');
  }
}

export interface PushReceived {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const FIXTURES = new URL('./fixtures/', import.meta.url);

/**
 * A local push service over HTTPS (web-push only speaks https): `/gone/...` answers 410,
 * `/fail/...` 500, anything else 201. Its certificate is a self-signed test fixture for
 * 127.0.0.1, trusted by this test process only (https.globalAgent, which web-push uses).
 */
export class PushReceiver {
  readonly received: PushReceived[] = [];
  private server: Server | null = null;
  base = '';

  static async start(): Promise<PushReceiver> {
    const receiver = new PushReceiver();
    const cert = readFileSync(new URL('push-receiver.crt', FIXTURES));
    const key = readFileSync(new URL('push-receiver.key', FIXTURES));
    globalAgent.options.ca = cert;
    receiver.server = createServer({ cert, key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        receiver.received.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
        res.statusCode = path.startsWith('/gone') ? 410 : path.startsWith('/fail') ? 500 : 201;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.server!.listen(0, '127.0.0.1', () => resolve()));
    receiver.base = `https://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
