import Fastify from 'fastify';
import { silentLogger } from '../../../../src/core/logger.js';
import { relayPlugin, requireClaim } from '../../../../src/http/fastify.js';
import type { ContractApp, ContractAppConfig } from '../contract-app.js';
import { GUARDED_CLAIM, testUser } from '../contract-app.js';
import { startServices } from './services.js';

/** The contract app on Fastify 5. */
export async function startFastifyApp(config: ContractAppConfig): Promise<ContractApp> {
  const services = await startServices(config);
  const app = Fastify();
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request) => {
    const user = testUser(request.headers);
    if (user) (request as { user?: unknown }).user = user;
  });
  await app.register(relayPlugin, { services, logger: silentLogger });
  app.get('/restricted', { preHandler: requireClaim(GUARDED_CLAIM) }, async (request) => ({
    ok: true,
    claim: request.relayClaims?.[GUARDED_CLAIM],
  }));
  app.get('/relay/app-owned', async () => ({ owner: 'app' }));
  app.post('/relay/app-echo', async (request) => ({ owner: 'app', body: request.body }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await services.close();
    },
  };
}
