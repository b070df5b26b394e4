/**
 * A Persona that answers wrongly on purpose: a `node:http` server in front of
 * the emulator that forwards every request to it and lets a test replace or
 * tamper with the answer of any endpoint. Forwarding keeps Persona's state
 * real (relays exist, passes are signed and spent at the emulator), so a test
 * can tell what its hostile answer hid from the client. Every request the
 * client sends is recorded, with what the emulator answered to it.
 *
 * Also a "trap": a server that must never be contacted (the target of
 * hostile redirects), recording whatever reaches it.
 */
import { once } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PersonaEndpoint = 'relays' | 'challenge' | 'privacy-passes' | 'probe' | 'generate-claim' | 'other';

/** A request the client sent, and what the emulator answered (when it was forwarded). */
export interface SeenRequest {
  readonly endpoint: PersonaEndpoint;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The emulator's answer, when the request was forwarded. */
  upstream?: Answer;
}

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** What a hostile endpoint answers instead. `forward()` passes the request on to the emulator and resolves with its answer. */
export type Interceptor = (request: SeenRequest, forward: () => Promise<Answer>) => Promise<HostileAnswer>;

export interface HostileAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export class HostilePersona {
  readonly requests: SeenRequest[] = [];
  private readonly interceptors = new Map<PersonaEndpoint, Interceptor>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly upstream: URL,
  ) {}

  /** Listens on a free loopback port, forwarding to `upstreamUrl` (the emulator). */
  static async start(upstreamUrl: string): Promise<HostilePersona> {
    // Nobody knows the port before `listening`, so no request reaches the handler before `persona` exists.
    const server = createServer((req, res) => void persona.serve(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const persona = new HostilePersona(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, new URL(upstreamUrl));
    return persona;
  }

  /** Makes `endpoint` hostile (replacing any earlier interceptor of it). */
  on(endpoint: PersonaEndpoint, interceptor: Interceptor): void {
    this.interceptors.set(endpoint, interceptor);
  }

  /** Every endpoint honest again. */
  heal(): void {
    this.interceptors.clear();
  }

  /** Honest, and the request record emptied. */
  reset(): void {
    this.heal();
    this.requests.length = 0;
  }

  /** Recorded requests to one endpoint. */
  seen(endpoint: PersonaEndpoint): SeenRequest[] {
    return this.requests.filter((request) => request.endpoint === endpoint);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined); // the client may hang up on a huge answer
    const body = await readAll(req);
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const seen: SeenRequest = { endpoint: endpointOf(req.method ?? '', path, req.headers), method: req.method ?? '', path, headers: req.headers, body: body.toString('utf8') };
    this.requests.push(seen);
    const forward = async () => {
      const answer = await this.forward(req, body);
      seen.upstream = answer;
      return answer;
    };
    try {
      const interceptor = this.interceptors.get(seen.endpoint);
      const answer: HostileAnswer = interceptor ? await interceptor(seen, forward) : await forward();
      const payload = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers, 'content-length': String(payload.length) });
      res.end(payload);
    } catch {
      res.destroy();
    }
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<Answer> {
    const headers = { ...req.headers, host: this.upstream.host };
    delete headers.connection;
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers, agent: false },
        (response) => {
          void readAll(response).then(
            (answerBody) =>
              resolve({
                status: response.statusCode ?? 0,
                headers: Object.fromEntries(
                  Object.entries(response.headers)
                    .filter(([name]) => !['content-length', 'connection', 'transfer-encoding', 'keep-alive'].includes(name))
                    .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]),
                ),
                body: answerBody,
              }),
            reject,
          );
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

/** A server nobody should reach. */
export interface Trap {
  readonly url: string;
  readonly hits: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

export async function startTrap(): Promise<Trap> {
  const hits: Trap['hits'] = [];
  const server = createServer((req, res) => {
    void readAll(req).then((body) => {
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function endpointOf(method: string, path: string, headers: IncomingHttpHeaders): PersonaEndpoint {
  if (method !== 'POST') return 'other';
  if (path === '/api/privacy/v1/relays') return 'relays';
  if (path === '/api/privacy/v1/relays/challenge') return 'challenge';
  if (path === '/api/v1/privacy-passes') return 'privacy-passes';
  if (/^\/api\/privacy\/v1\/relays\/[^/]+\/generate-claim$/.test(path)) return headers.authorization === undefined ? 'probe' : 'generate-claim';
  return 'other';
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The JSON of an answer's body. */
export function jsonOf(answer: Answer): Record<string, unknown> {
  return JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
}

/** A 200 JSON answer. */
export function okJson(body: unknown, headers: Record<string, string> = {}): HostileAnswer {
  return { status: 200, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
