/*
 * The tokens are registered symbols (`Symbol.for`), not unique ones: the ES module and the CommonJS build of this
 * package are two copies of this file, and a provider registered through one copy must be injectable through the other.
 */
/** Injection token of the resolved, validated {@link ResolvedRelayOptions}. */
export const RELAY_OPTIONS = Symbol.for('persona-relay:options');
/** Injection token of the wired {@link RelayServices}. */
export const RELAY_SERVICES = Symbol.for('persona-relay:services');
/** Injection token of the {@link RelayStorage} (sessions, passes, redemptions, claims stores). */
export const RELAY_STORAGE = Symbol.for('persona-relay:storage');
/** Injection token of the {@link RelayHttp} used by the controller and the guard. */
export const RELAY_HTTP = Symbol.for('persona-relay:http');
/** Injection token of the module's {@link RelayLogger}. */
export const RELAY_LOGGER = Symbol.for('persona-relay:logger');
/** Metadata key set by `@RequireClaim`. */
export const REQUIRED_CLAIM_KEY = 'persona-relay:required-claim';
