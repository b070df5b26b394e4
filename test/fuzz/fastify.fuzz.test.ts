import { startFastifyApp } from '../contract/support/apps/fastify-app.js';
import { describeHttpFuzz } from './support/http-fuzz.js';

describeHttpFuzz('Fastify 5', startFastifyApp);
