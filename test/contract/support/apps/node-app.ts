import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { silentLogger } from '../../../../src/core/logger.js';
import { createRelayHandler } from '../../../../src/http/node.js';
import type { RelayNodeRequest } from '../../../../src/http/node.js';
import type { ContractApp, ContractAppConfig } from '../contract-app.js';
import { GUARDED_CLAIM, testUser } from '../contract-app.js';
import { closeServer, listen, startServices } from './services.js';

/** The contract app on bare `node:http`: the relay handler first, the app's own routing as its `next`. */
export async function startNodeApp(config: ContractAppConfig): Promise<ContractApp> {
  const services = await startServices(config);
  const relay = createRelayHandler({ services, logger: silentLogger });
  const requireAdult = relay.requireClaim(GUARDED_CLAIM);

  const appRoutes = async (req: IncomingMessage, res: ServerResponse) => {
    const route = `${req.method} ${req.url?.split('?')[0]}`;
    if (route === 'GET /restricted') {
      const claim = await requireAdult(req, res);
      if (claim) json(res, 200, { ok: true, claim });
    } else if (route === 'GET /relay/app-owned') {
      json(res, 200, { owner: 'app' });
    } else if (route === 'POST /relay/app-echo') {
      let text = '';
      for await (const chunk of req) text += String(chunk);
      json(res, 200, { owner: 'app', body: JSON.parse(text) as unknown });
    } else {
      json(res, 404, { owner: 'app', message: 'Not found' });
    }
  };

  const server = createServer((req: RelayNodeRequest, res) => {
    req.user = testUser(req.headers);
    void relay(req, res, () => void appRoutes(req, res));
  });
  const url = await listen(server);
  return {
    url,
    async close() {
      await closeServer(server);
      await services.close();
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}
