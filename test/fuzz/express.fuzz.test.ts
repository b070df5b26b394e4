import { expressApp } from '../contract/support/apps/express-app.js';
import { describeHttpFuzz } from './support/http-fuzz.js';

// The adapter's default: errors go to next(err), and the app's error handler answers them with toErrorResponse.
describeHttpFuzz('Express 5, next(err)', expressApp({ handleErrors: false }), { runs: 600 });
// The router answers errors itself.
describeHttpFuzz('Express 5, handleErrors', expressApp({ handleErrors: true }), { runs: 400 });
