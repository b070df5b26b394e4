import { startNodeApp } from '../contract/support/apps/node-app.js';
import { describeHttpFuzz } from './support/http-fuzz.js';

describeHttpFuzz('node:http', startNodeApp);
