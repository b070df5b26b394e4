/**
 * A tiny real HTTP server for the Persona client tests: it records every request (with the
 * client's TCP port, to tell connections apart) and answers from a script.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  /** Node's lower-cased, joined view. */
  readonly headers: http.IncomingHttpHeaders;
  /** Header fields exactly as sent, name/value pairs flattened. */
  readonly rawHeaders: readonly string[];
  readonly body: string;
  /** The client's port: equal ports mean the same TCP connection. */
  readonly remotePort: number;
}

/** What the server does with one request. */
export type ScriptedResponse =
  | {
      readonly status: number;
      readonly headers?: Readonly<Record<string, string | readonly string[]>>;
      /** A string is sent as is; anything else as JSON. */
      readonly body?: unknown;
    }
  /** Destroy the connection without answering (a transport failure for the client). */
  | { readonly action: 'destroy' }
  /** Never answer (a timeout for the client). */
  | { readonly action: 'hang' };

export interface TestServer {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Client ports of the connections currently open to the server. */
  openClientPorts(): number[];
  /** Queues answers, used in order. */
  script(...responses: ScriptedResponse[]): void;
  /** The answer once the queue is empty (default: a 500 envelope saying nothing was scripted). */
  setFallback(response: ScriptedResponse): void;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedResponse[] = [];
  let fallback: ScriptedResponse = {
    status: 500,
    body: { errors: [{ title: 'No scripted response', code: 'unscripted' }] },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        remotePort: req.socket.remotePort ?? -1,
      });
      answer(queue.shift() ?? fallback, req, res);
    });
  });
  const openSockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    openClientPorts: () => [...openSockets].map((socket) => socket.remotePort ?? -1),
    script: (...responses) => queue.push(...responses),
    setFallback: (response) => {
      fallback = response;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(response: ScriptedResponse, req: http.IncomingMessage, res: http.ServerResponse): void {
  if ('action' in response) {
    if (response.action === 'destroy') req.socket.destroy();
    return;
  }
  const body =
    response.body === undefined ? '' : typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  const headers: Record<string, string | string[]> = {};
  if (typeof response.body !== 'string' && response.body !== undefined) {
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    headers[name] = typeof value === 'string' ? value : [...value];
  }
  res.writeHead(response.status, headers);
  res.end(body);
}

/** Lower-cased names of the header fields the client sent. */
export function headerNames(request: RecordedRequest): string[] {
  return request.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
}
