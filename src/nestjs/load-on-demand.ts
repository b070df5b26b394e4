/**
 * The optional peer the Nest integration loads only when it needs it (the
 * storage code's own on-demand loads are in `src/typeorm/load-on-demand.ts`).
 * The CommonJS build uses `load-on-demand-cjs.cts` instead: there `import()`
 * would leave the CommonJS module system, which Jest's runtime refuses without its ESM mode.
 */

/** `@nestjs/terminus`, installed by the app. */
export const loadTerminus = () => import('@nestjs/terminus');
