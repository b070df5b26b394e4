/**
 * Rules that look at several options or at what an option's text means (URLs, key material). Each
 * rule runs only when the options it reads passed their own rules, and reports on the option to fix.
 */
import { checkRsaPrivateKeyPem, checkRsaPublicKeyPem, checkStorageKey, isMatchingKeyPair } from './key-material.js';
import { STORAGE_KEY_ID_PATTERN } from './option-kinds.js';
import type { ProblemList } from './problem-list.js';
import type { DEFAULT_RELAY_OPTIONS, RelayEnvironment, RelayOptions, ResolvedRelayOptions } from './relay-options.js';
import { withoutTrailingSlashes } from './slashes.js';

/** Given options over the defaults, each of which passed its own rule unless `problems` names it. */
export type EffectiveOptions = RelayOptions & typeof DEFAULT_RELAY_OPTIONS;

const SANDBOX_KEY_PREFIX = 'persona_sandbox_';
const PRODUCTION_KEY_PREFIX = 'persona_production_';
/** The id `storageKey` gets when no `storageKeyId` names it. */
const DEFAULT_STORAGE_KEY_ID = 'k1';

/** `sandbox` when set, else the API key's prefix; a prefix that contradicts `sandbox` is a problem. */
export function resolveEnvironment(options: EffectiveOptions, problems: ProblemList): RelayEnvironment {
  const apiKey = problems.has('apiKey') ? undefined : options.apiKey;
  const keyEnvironment: RelayEnvironment | undefined = apiKey?.startsWith(SANDBOX_KEY_PREFIX)
    ? 'sandbox'
    : apiKey?.startsWith(PRODUCTION_KEY_PREFIX)
      ? 'production'
      : undefined;
  if (options.sandbox === undefined || problems.has('sandbox')) return keyEnvironment === 'sandbox' ? 'sandbox' : 'production';
  const configured: RelayEnvironment = options.sandbox ? 'sandbox' : 'production';
  if (keyEnvironment !== undefined && keyEnvironment !== configured) {
    const prefix = keyEnvironment === 'sandbox' ? SANDBOX_KEY_PREFIX : PRODUCTION_KEY_PREFIX;
    problems.add('sandbox', `is ${options.sandbox} but apiKey is a ${keyEnvironment} key (prefix ${prefix})`);
  }
  return configured;
}

/** Deduplicated `allowedClaimTypes`, which must include `claimType`; `[claimType]` when not given. */
export function resolveAllowedClaimTypes(options: EffectiveOptions, problems: ProblemList): string[] {
  const { claimType, allowedClaimTypes } = options;
  if (allowedClaimTypes === undefined || problems.has('allowedClaimTypes')) return [claimType];
  const unique = [...new Set(allowedClaimTypes)];
  if (!problems.has('claimType') && !unique.includes(claimType)) {
    problems.add('allowedClaimTypes', 'must include claimType (the claim type of sessions that name none)');
  }
  return unique;
}

/** An absolute http(s) URL without credentials, query or fragment; trailing slashes dropped. */
export function normalizeApiUrl(apiUrl: string, problems: ProblemList): string {
  if (problems.has('apiUrl')) return apiUrl;
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    problems.add('apiUrl', 'must be an absolute http(s) URL');
    return apiUrl;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.add('apiUrl', 'must use http or https');
  else if (url.username !== '' || url.password !== '') problems.add('apiUrl', 'must not contain credentials');
  else if (url.search !== '' || url.hash !== '') problems.add('apiUrl', 'must not have a query or fragment');
  return withoutTrailingSlashes(url.href);
}

export function checkDatabaseUrl(databaseUrl: string | undefined, problems: ProblemList): void {
  if (databaseUrl === undefined || problems.has('databaseUrl')) return;
  if (!/^postgres(ql)?:\/\//i.test(databaseUrl) || !URL.canParse(databaseUrl)) {
    problems.add('databaseUrl', 'must be a postgres:// or postgresql:// URL');
  }
}

type StorageKeyRing = Partial<Pick<ResolvedRelayOptions, 'storageKeys' | 'storageKeyId'>>;

/** `storageKey` (id `k1` or `storageKeyId`) or `storageKeys` + `storageKeyId` → one key ring; one of the two is required. */
export function resolveStorageKeys(options: EffectiveOptions, problems: ProblemList): StorageKeyRing {
  if (problems.has('storageKey', 'storageKeys', 'storageKeyId')) return {};
  const { storageKey, storageKeys, storageKeyId } = options;
  if (storageKey !== undefined && storageKeys !== undefined) {
    problems.add('storageKeys', 'give either storageKey or storageKeys, not both');
    return {};
  }
  if (storageKey === undefined && storageKeys === undefined) {
    problems.require('storageKey');
    return {};
  }
  const entries: [id: string, key: unknown, name: string][] =
    storageKey !== undefined
      ? [[storageKeyId ?? DEFAULT_STORAGE_KEY_ID, storageKey, 'storageKey']]
      : Object.entries(storageKeys as Record<string, unknown>).map(([id, key]) => [id, key, `storageKeys.${id}`]);
  if (entries.length === 0) {
    problems.add('storageKeys', 'must hold at least one key');
    return {};
  }
  const keys = Object.create(null) as Record<string, string>;
  for (const [id, key, name] of entries) {
    if (!STORAGE_KEY_ID_PATTERN.test(id)) {
      // The id failed its pattern, so it is not echoed.
      if (!problems.has('storageKeys')) problems.add('storageKeys', `key ids must match ${STORAGE_KEY_ID_PATTERN.source}`);
      continue;
    }
    const checked = typeof key === 'string' ? checkStorageKey(key) : { problem: 'must be a string' };
    if ('problem' in checked) problems.add(name, checked.problem);
    else keys[id] = checked.value;
  }
  const currentId = storageKeyId ?? (entries.length === 1 ? entries[0]![0] : undefined);
  if (currentId === undefined) problems.add('storageKeyId', 'is required when storageKeys holds several keys');
  else if (!entries.some(([id]) => id === currentId)) problems.add('storageKeyId', 'must name a key of storageKeys');
  return { storageKeys: Object.freeze(keys), storageKeyId: currentId };
}

type StaticKeyPair = Pick<ResolvedRelayOptions, 'staticPublicKeyPem' | 'staticPrivateKeyPem'>;

/** The static pair is required with `encryption: 'static'` and refused otherwise; the public key comes back as SPKI PEM. */
export function resolveStaticKeys(options: EffectiveOptions, problems: ProblemList): StaticKeyPair {
  const { encryption, staticPublicKeyPem, staticPrivateKeyPem } = options;
  if (problems.has('encryption', 'staticPublicKeyPem', 'staticPrivateKeyPem')) return {};
  if (encryption !== 'static') {
    if (staticPublicKeyPem !== undefined) problems.add('staticPublicKeyPem', 'is only used when encryption is "static"');
    if (staticPrivateKeyPem !== undefined) problems.add('staticPrivateKeyPem', 'is only used when encryption is "static"');
    return {};
  }
  if (staticPublicKeyPem === undefined) problems.add('staticPublicKeyPem', 'is required when encryption is "static"');
  if (staticPrivateKeyPem === undefined) problems.add('staticPrivateKeyPem', 'is required when encryption is "static"');
  if (staticPublicKeyPem === undefined || staticPrivateKeyPem === undefined) return {};

  const publicKey = checkRsaPublicKeyPem(staticPublicKeyPem);
  const privateKey = checkRsaPrivateKeyPem(staticPrivateKeyPem);
  if ('problem' in publicKey) problems.add('staticPublicKeyPem', publicKey.problem);
  if ('problem' in privateKey) problems.add('staticPrivateKeyPem', privateKey.problem);
  if ('problem' in publicKey || 'problem' in privateKey) return {};
  if (!isMatchingKeyPair(publicKey.value.key, privateKey.value)) {
    problems.add('staticPrivateKeyPem', 'does not match staticPublicKeyPem');
  }
  return { staticPublicKeyPem: publicKey.value.spkiPem, staticPrivateKeyPem };
}

/** Orderings and exclusions between options of the same concern. */
export function checkCombinations(options: EffectiveOptions, problems: ProblemList): void {
  const { challengeSource, issuance, retry, redemption } = options;
  if (!problems.has('challengeSource', 'issuance') && challengeSource === 'relay' && issuance === 'pool') {
    problems.add('challengeSource', '"relay" cannot be combined with issuance "pool": a pool has no relay to ask');
  }
  if (!problems.has('retry.baseDelayMs', 'retry.maxDelayMs') && retry.maxDelayMs < retry.baseDelayMs) {
    problems.add('retry.maxDelayMs', 'must be at least retry.baseDelayMs');
  }
  if (!problems.has('redemption.leaseMs', 'redemption.replayWindowMs') && redemption.leaseMs >= redemption.replayWindowMs) {
    problems.add('redemption.leaseMs', 'must be shorter than redemption.replayWindowMs');
  }
}
