import express from 'express';
import type { ErrorRequestHandler } from 'express';
import { createServer } from 'node:http';
import { silentLogger } from '../../../../src/core/logger.js';
import { toErrorResponse } from '../../../../src/http/error-response.js';
import { relayRouter } from '../../../../src/http/express.js';
import type { ContractApp, ContractAppConfig } from '../contract-app.js';
import { GUARDED_CLAIM, testUser } from '../contract-app.js';
import { closeServer, listen, startServices } from './services.js';

/**
 * The contract app on Express 5. `handleErrors: true` lets the router answer
 * errors itself; without it they go to `next(err)`, and this app's error
 * handler answers them with `toErrorResponse`, as the docs suggest.
 */
export function expressApp(mode: { handleErrors: boolean }) {
  return async (config: ContractAppConfig): Promise<ContractApp> => {
    const services = await startServices(config);
    const relay = relayRouter({ services, handleErrors: mode.handleErrors, logger: silentLogger });
    const app = express();
    app.use((req, _res, next) => {
      const user = testUser(req.headers);
      if (user) (req as { user?: unknown }).user = user;
      next();
    });
    app.use(relay);
    app.get('/restricted', relay.requireClaim(GUARDED_CLAIM), (req, res) => {
      res.json({ ok: true, claim: req.relayClaims?.[GUARDED_CLAIM] });
    });
    app.get('/relay/app-owned', (_req, res) => {
      res.json({ owner: 'app' });
    });
    app.post('/relay/app-echo', express.json(), (req, res) => {
      res.json({ owner: 'app', body: req.body as unknown });
    });
    if (!mode.handleErrors) {
      const answerRelayErrors: ErrorRequestHandler = (error, _req, res, _next) => {
        const { status, body } = toErrorResponse(error);
        res.status(status).set('Cache-Control', 'no-store').json(body);
      };
      app.use(answerRelayErrors);
    }
    const server = createServer(app);
    const url = await listen(server);
    return {
      url,
      async close() {
        await closeServer(server);
        await services.close();
      },
    };
  };
}
