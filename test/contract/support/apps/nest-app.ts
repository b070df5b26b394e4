import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Injectable, Module, Post } from '@nestjs/common';
import type { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { silentLogger } from '../../../../src/core/logger.js';
import type { SubjectClaim } from '../../../../src/core/services/claim.service.js';
import { RelayClaim, RelayModule, RequireClaim } from '../../../../src/nestjs/index.js';
import { fastTestKeyPairs } from '../../../support/key-pairs.js';
import type { ContractApp, ContractAppConfig } from '../contract-app.js';
import { GUARDED_CLAIM, testUser } from '../contract-app.js';

/** The authentication stand-in as Nest apps do it (Passport's AuthGuard sets `request.user` the same way). */
@Injectable()
class TestUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: IncomingHttpHeaders; user?: unknown }>();
    const user = testUser(request.headers);
    if (user) request.user = user;
    return true;
  }
}

@Controller()
class RestrictedController {
  @Get('restricted')
  @RequireClaim(GUARDED_CLAIM)
  restricted(@RelayClaim() claim: SubjectClaim) {
    return { ok: true, claim };
  }
}

@Controller('relay')
class AppOwnedController {
  @Get('app-owned')
  owned() {
    return { owner: 'app' };
  }

  @Post('app-echo')
  @HttpCode(200)
  echo(@Body() body: unknown) {
    return { owner: 'app', body };
  }
}

/** The contract app as a Nest application with `RelayModule`, on Nest's Express or Fastify platform. */
export function nestApp(platform: 'express' | 'fastify') {
  return async (config: ContractAppConfig): Promise<ContractApp> => {
    @Module({
      imports: [
        RelayModule.forRoot({
          ...config.relayOptions,
          storage: config.storage,
          logger: silentLogger,
          keyPairGenerator: fastTestKeyPairs(),
        }),
      ],
      controllers: [RestrictedController, AppOwnedController],
      providers: [{ provide: APP_GUARD, useClass: TestUserGuard }],
    })
    class AppModule {}
    const app: INestApplication =
      platform === 'fastify'
        ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
        : await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return { url, close: () => app.close() };
  };
}
