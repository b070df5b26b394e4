/** A small HTTP client for the contract tests: raw control over headers and bodies, answers read once. */

export interface Answer {
  readonly status: number;
  /** Parsed JSON when the answer is JSON, else the text. */
  readonly body: unknown;
  readonly headers: Headers;
  /** `Set-Cookie` values. */
  readonly cookies: string[];
}

export interface RequestOptions {
  readonly cookie?: string;
  readonly user?: string;
  readonly headers?: Record<string, string>;
}

export class HttpClient {
  constructor(private readonly base: string) {}

  get(path: string, options: RequestOptions = {}): Promise<Answer> {
    return this.send('GET', path, undefined, options);
  }

  /** POST with a JSON body (`{}` unless given); `raw` sends the text as is. */
  post(path: string, body: unknown = {}, options: RequestOptions & { contentType?: string | null; raw?: boolean } = {}): Promise<Answer> {
    const text = options.raw ? String(body) : JSON.stringify(body);
    const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
    return this.send('POST', path, text, {
      ...options,
      headers: { ...(contentType === null ? {} : { 'content-type': contentType }), ...options.headers },
    });
  }

  private async send(method: string, path: string, body: string | undefined, options: RequestOptions): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookie) headers.cookie = options.cookie;
    if (options.user) headers['x-test-user'] = options.user;
    const response = await fetch(`${this.base}${path}`, { method, headers, body });
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.includes('json') ?? false;
    return {
      status: response.status,
      body: isJson && text.length > 0 ? (JSON.parse(text) as unknown) : text,
      headers: response.headers,
      cookies: response.headers.getSetCookie(),
    };
  }
}

/** The `name=value` part of a `Set-Cookie`, ready for a `Cookie` header. */
export function cookiePair(setCookie: string): string {
  return setCookie.split(';', 1)[0]!;
}
