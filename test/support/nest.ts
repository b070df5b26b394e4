/**
 * Nest apps for the e2e tests: one module, either HTTP platform, listening
 * on a free port; plus a visitor that keeps its `relay_sid` cookie.
 */
import 'reflect-metadata';
import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { TestResponse } from './http.js';
import { httpCall } from './http.js';

export type NestPlatform = 'express' | 'fastify';
export const NEST_PLATFORMS: readonly NestPlatform[] = ['express', 'fastify'];

export interface RunningApp {
  readonly app: INestApplication;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Creates and starts the app. `abortOnError: false` makes a failing
 * bootstrap reject instead of exiting the process.
 */
export async function startNestApp(
  module: Type<unknown>,
  platform: NestPlatform,
  options: { logger?: LoggerService | false } = {},
): Promise<RunningApp> {
  const logger = options.logger ?? false;
  const app =
    platform === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger, abortOnError: false })
      : await NestFactory.create(module, { logger, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

/** A browser stand-in: sends JSON, keeps the cookie the server set. */
export class Visitor {
  cookie: string | undefined;

  constructor(private readonly base: string, private readonly headers: Record<string, string> = {}) {}

  get(path: string): Promise<TestResponse> {
    return this.send('GET', path);
  }

  post(path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<TestResponse> {
    return this.send('POST', path, typeof body === 'string' ? body : JSON.stringify(body), {
      'content-type': 'application/json',
      ...headers,
    });
  }

  private async send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<TestResponse> {
    const response = await httpCall(`${this.base}${path}`, {
      method,
      headers: { ...this.headers, ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const setCookie = response.headers['set-cookie'];
    const relayCookie = setCookie?.find((value) => value.startsWith('relay_sid='));
    if (relayCookie) this.cookie = relayCookie.split(';')[0];
    return response;
  }
}

/** Collects Nest's log output (to check that no secret is printed). */
export class CapturingNestLogger implements LoggerService {
  readonly lines: string[] = [];
  log(...args: unknown[]) {
    this.record(args);
  }
  error(...args: unknown[]) {
    this.record(args);
  }
  warn(...args: unknown[]) {
    this.record(args);
  }
  debug(...args: unknown[]) {
    this.record(args);
  }
  verbose(...args: unknown[]) {
    this.record(args);
  }
  fatal(...args: unknown[]) {
    this.record(args);
  }
  private record(args: unknown[]): void {
    this.lines.push(args.map((arg) => (arg instanceof Error ? `${arg.message}\n${arg.stack}` : String(arg))).join(' '));
  }
}
