import { Controller, Get, Inject, NotFoundException, Post, Req, Res } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { IncomingMessage } from 'node:http';
import { readJsonBody } from '../http/read-json-body.js';
import type { RelayHttp, RelayHttpRequest } from '../http/relay-http.js';
import { sendRelayAnswer } from './http-response.js';
import { RELAY_HTTP } from './relay.tokens.js';

/** What Nest hands the controller under either platform. */
type PlatformRequest = IncomingMessage & { body?: unknown; user?: unknown; params?: Record<string, string> };

/**
 * Builds the relay controller under `prefix`. A class per prefix (rather than
 * one mutated class) lets two modules mount the routes at different paths.
 * The routes delegate to {@link RelayHttp}, the same code every adapter runs.
 */
export function createRelayController(prefix: string): Type<unknown> {
  @Controller(prefix)
  class RelayController {
    constructor(@Inject(RELAY_HTTP) private readonly http: RelayHttp) {}

    @Post('sessions')
    async createSession(@Req() req: PlatformRequest, @Res() res: unknown): Promise<void> {
      await this.serve(req, res, 'POST', '/sessions');
    }

    @Get('sessions/:sessionId')
    async getSession(@Req() req: PlatformRequest, @Res() res: unknown): Promise<void> {
      await this.serve(req, res, 'GET', `/sessions/${encodeURIComponent(req.params?.sessionId ?? '')}`);
    }

    @Post('sessions/:sessionId/claim')
    async redeem(@Req() req: PlatformRequest, @Res() res: unknown): Promise<void> {
      await this.serve(req, res, 'POST', `/sessions/${encodeURIComponent(req.params?.sessionId ?? '')}/claim`);
    }

    @Get('claims')
    async listClaims(@Req() req: PlatformRequest, @Res() res: unknown): Promise<void> {
      await this.serve(req, res, 'GET', '/claims');
    }

    private async serve(req: PlatformRequest, res: unknown, method: string, path: string): Promise<void> {
      // `native` lets a custom resolveSubject read whatever the app's authentication left on the
      // platform's own request object (Express or Fastify).
      const request: RelayHttpRequest = {
        method,
        path,
        headers: req.headers,
        // Fastify's request has `socket` too, so this reads the connection under either platform.
        remoteAddress: req.socket?.remoteAddress,
        body: req.body,
        ...(hasUnreadBody(req) ? { readBody: () => readJsonBody(req) } : {}),
        user: req.user,
        native: req,
      };
      const answer = await this.http.handle(request);
      // Nest's routes above only match relay routes, but an empty id would not be one: answer 404, never crash.
      if (!answer) throw new NotFoundException();
      sendRelayAnswer(res, answer);
    }
  }
  return RelayController;
}

/**
 * An Express app created with `bodyParser: false` leaves the body in the stream: it is then read by the relay,
 * after the declared-length check, so an oversized body is refused before a byte of it is buffered. (Fastify's
 * request is no stream; Fastify always parses JSON itself.)
 */
function hasUnreadBody(req: PlatformRequest): boolean {
  return req.body === undefined && req instanceof IncomingMessage && !req.readableEnded;
}
