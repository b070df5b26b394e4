/** CommonJS twin of `load-on-demand.ts` (swapped in by the dual build): the same loader, through `require`. */

/** `@nestjs/terminus`, installed by the app. */
export const loadTerminus = async (): Promise<typeof import('@nestjs/terminus')> => require('@nestjs/terminus');
