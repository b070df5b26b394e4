/**
 * A raw HTTP/1.1 client over `node:net`, for requests no well-behaved client
 * sends: any method and request-target bytes, repeated headers in the given
 * order, bodies of any bytes, a declared length the body never reaches.
 * Every request has a connection of its own and ends with `Connection: close`,
 * so the answer is whatever the server wrote until it closed.
 */
import { connect } from 'node:net';

/** One request, byte for byte. */
export interface RawRequest {
  readonly method: string;
  /** Request-target as sent (may hold bytes that are not ASCII). */
  readonly target: string | Buffer;
  /** Header lines in order; a name may repeat. `Host`, `Content-Length` and `Connection` are added unless `raw`. */
  readonly headers: ReadonlyArray<readonly [string, string | Buffer]>;
  readonly body?: Buffer;
  /**
   * Declares `Content-Length: body.length + truncateBy`, sends the body and
   * half-closes: the request ends before its declared length.
   */
  readonly truncateBy?: number;
  /** Sends the body as one `Transfer-Encoding: chunked` chunk instead of with `Content-Length`. */
  readonly chunked?: boolean;
}

/** The answer, or what happened instead. */
export interface RawAnswer {
  /** 0 when the server closed (or reset) the connection without a status line. */
  readonly status: number;
  /** Lower-case names; repeated names keep every value. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  /** The server neither answered nor closed within the client's patience (see {@link sendRaw}). */
  readonly hung: boolean;
}

/** Sends `request` to `127.0.0.1:port`; gives up (answer `hung`) after `patienceMs` without the server closing. */
export function sendRaw(port: number, request: RawRequest, patienceMs = 15_000): Promise<RawAnswer> {
  const body = request.body ?? Buffer.alloc(0);
  const lines: Buffer[] = [Buffer.concat([Buffer.from(`${request.method} `, 'latin1'), toBytes(request.target), Buffer.from(' HTTP/1.1\r\n')])];
  lines.push(Buffer.from(`Host: 127.0.0.1:${port}\r\n`));
  for (const [name, value] of request.headers) {
    lines.push(Buffer.concat([Buffer.from(`${name}: `, 'latin1'), toBytes(value), Buffer.from('\r\n')]));
  }
  if (request.chunked) {
    lines.push(Buffer.from('Transfer-Encoding: chunked\r\n'));
  } else if (body.length > 0 || request.method === 'POST' || request.truncateBy) {
    lines.push(Buffer.from(`Content-Length: ${body.length + (request.truncateBy ?? 0)}\r\n`));
  }
  lines.push(Buffer.from('Connection: close\r\n\r\n'));
  const payload = request.chunked
    ? Buffer.concat([
        ...(body.length > 0 ? [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')] : []),
        Buffer.from('0\r\n\r\n'),
      ])
    : body;

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ port, host: '127.0.0.1' });
    const finish = (hung: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseAnswer(Buffer.concat(chunks)), hung });
    };
    const timer = setTimeout(() => finish(true), patienceMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(false));
    socket.on('close', () => finish(false));
    // A reset after (part of) the answer is the server closing hard; whatever arrived is the answer.
    socket.on('error', () => finish(false));
    socket.on('connect', () => {
      socket.write(Buffer.concat([...lines, payload]));
      if (request.truncateBy) socket.end();
    });
  });
}

function toBytes(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}

/** Status line, headers and (de-chunked) body of the final answer in `bytes` (a `100 Continue` before it is skipped). */
function parseAnswer(bytes: Buffer): Omit<RawAnswer, 'hung'> {
  while (/^HTTP\/1\.[01] 1\d\d /.test(bytes.subarray(0, 16).toString('latin1'))) {
    const interim = bytes.indexOf('\r\n\r\n');
    if (interim < 0) break;
    bytes = bytes.subarray(interim + 4);
  }
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: [], body: Buffer.alloc(0) };
  const head = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
  const headers = head.slice(1).map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
  });
  let body = bytes.subarray(end + 4);
  if (headers.some(([name, value]) => name === 'transfer-encoding' && /chunked/i.test(value))) body = dechunk(body);
  else {
    const length = headers.find(([name]) => name === 'content-length')?.[1];
    if (length !== undefined && /^\d+$/.test(length)) body = body.subarray(0, Number(length));
  }
  return { status, headers, body };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The first value of header `name` in an answer. */
export function headerOf(answer: RawAnswer, name: string): string | undefined {
  return answer.headers.find(([n]) => n === name)?.[1];
}
