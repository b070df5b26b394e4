/** Injection token of the resolved, validated {@link ResolvedRelayOptions}. */
export const RELAY_OPTIONS = Symbol('persona-relay:options');
/** Injection token of the wired {@link RelayServices}. */
export const RELAY_SERVICES = Symbol('persona-relay:services');
/** Injection token of the {@link RelayStorage} (sessions, passes, redemptions, claims stores). */
export const RELAY_STORAGE = Symbol('persona-relay:storage');
/** Injection token of the {@link RelayHttp} used by the controller and the guard. */
export const RELAY_HTTP = Symbol('persona-relay:http');
/** Injection token of the module's {@link RelayLogger}. */
export const RELAY_LOGGER = Symbol('persona-relay:logger');
/** Metadata key set by `@RequireClaim`. */
export const REQUIRED_CLAIM_KEY = 'persona-relay:required-claim';
