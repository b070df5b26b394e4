import { nestApp } from '../contract/support/apps/nest-app.js';
import { describeHttpFuzz } from './support/http-fuzz.js';

describeHttpFuzz('NestJS on Fastify', nestApp('fastify'));
