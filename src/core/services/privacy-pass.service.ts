import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedRelayOptions, RelayEnvironment } from '../config/index.js';
import type { BlindingResult, BlindRsaEngine, RsaPublicKeyInfo } from '../crypto/index.js';
import { parseRsaPublicKeySpki } from '../crypto/index.js';
import type { SecretBox } from '../crypto/index.js';
import { isRelayError, RelayError, RelayErrorCode } from '../errors.js';
import type { RelayLogger } from '../logger.js';
import { describeError } from '../logger.js';
import type { RelayMetrics } from '../observability/metrics.js';
import type { PersonaApi } from '../persona/index.js';
import {
  buildTokenInput,
  decodeBase64url,
  decodeChallenge,
  encodeBase64url,
  encodePrivacyPassToken,
  findPrivateTokenChallenge,
  generateNonce,
  isChallengeUsable,
} from '../protocol/index.js';
import type { ChallengeMaterial, DecodedChallenge } from '../protocol/index.js';
import type { PassRecord, RelayStorage } from '../storage/index.js';
import type { BackgroundTasks } from './background-tasks.js';
import { sealedField } from './sealing.js';
import { Semaphore } from './semaphore.js';

/** The relay a pass is issued for (`at-creation`), giving the 401 challenge source. */
export interface IssuanceRelay {
  readonly sessionId: string;
  readonly relayToken: string;
  readonly relaySecret: string;
}

/** What to issue. */
export interface IssueRequest {
  readonly claimType: string;
  readonly environment: RelayEnvironment;
  /** Present for `at-creation` issuance: the pass is bound to this session and may take its challenge from the relay's 401. */
  readonly relay?: IssuanceRelay;
  /**
   * Wait this long between fetching the challenge (anonymous: the 401 probe
   * names the relay) and the identified, billed signing call, so Persona
   * cannot pair the two by their timing. Default 0 (on-demand issuance).
   */
  readonly signingDelayMs?: number;
  readonly signal?: AbortSignal;
}

/** What to issue off the request path: for a relay, with the delay drawn and the signal given by the service. */
export type BackgroundIssueRequest = Omit<IssueRequest, 'signingDelayMs' | 'signal'> & { readonly relay: IssuanceRelay };

/** An issuance between its anonymous half and its identified half; the blinding state stays in memory only. */
interface PreparedIssuance {
  readonly material: ChallengeMaterial;
  readonly challenge: DecodedChallenge;
  readonly tokenKey: RsaPublicKeyInfo;
  readonly nonce: string;
  readonly blinding: BlindingResult;
}

/** Dependencies of {@link PrivacyPassService}. */
export interface PrivacyPassServiceDeps {
  readonly options: ResolvedRelayOptions;
  readonly storage: RelayStorage;
  readonly api: PersonaApi;
  readonly engine: BlindRsaEngine;
  readonly secretBox: SecretBox;
  readonly tasks: BackgroundTasks;
  readonly logger: RelayLogger;
  readonly clock: () => Date;
  /** Uniform random number in [0, 1): draws the signing delay of background issuance. */
  readonly random: () => number;
  readonly metrics: Pick<RelayMetrics, 'recordPassBought'>;
}

/** See {@link PrivacyPassService}'s `inFlight`. */
const MAX_CONCURRENT_ISSUANCES = 8;

/**
 * Issues Privacy Passes: challenge → 98-byte token input → blind → Persona
 * signs blindly with the API key (the only identified, billed call) →
 * finalize (unblind and verify) → the token, stored sealed with its expiry.
 */
export class PrivacyPassService {
  /** Issuances started in this process for a session, so its redemption can wait for them. */
  private readonly issuing = new Map<string, Promise<void>>();
  /**
   * Issuances in flight at once. Each one parses, hashes and seals between its
   * network calls; a hundred of them answered within one event-loop turn would
   * hold the loop for tens of milliseconds. Issuance is background work, so
   * queueing beyond a few costs nothing a user waits for.
   */
  private readonly inFlight = new Semaphore(MAX_CONCURRENT_ISSUANCES);

  constructor(private readonly deps: PrivacyPassServiceDeps) {}

  /** Issues one pass and stores it AVAILABLE (bound to `request.relay`'s session if given). */
  async issue(request: IssueRequest): Promise<PassRecord> {
    const prepared = await this.inFlight.run(() => this.prepare(request));
    // The pause holds no in-flight slot: it is a wait, not work.
    if (request.signingDelayMs) await sleep(request.signingDelayMs, undefined, { signal: request.signal });
    return this.inFlight.run(() => this.signAndStore(request, prepared));
  }

  /** Challenge (the relay's anonymous 401 probe, or the endpoint), checks, token input and blinding: everything before the billed call. */
  private async prepare(request: IssueRequest): Promise<PreparedIssuance> {
    const { options, engine, clock } = this.deps;
    const material = await this.fetchChallenge(request);
    const challenge = decodeChallenge(material.challenge);
    if (!isChallengeUsable(challenge, clock(), options.tokenExpiryMarginMs)) {
      throw new RelayError(RelayErrorCode.INVALID_CHALLENGE, 'Persona issued a challenge that expires too soon to use', {
        context: { expiresAt: challenge.expiresAt.toISOString() },
      });
    }
    const tokenKey = parseRsaPublicKeySpki(decodeBase64url(material.tokenKey, 'token-key'));
    const nonce = generateNonce();
    const tokenInput = buildTokenInput({ nonce, mac: challenge.mac, tokenKeyId: material.tokenKeyId });
    const blinding = await engine.blind(tokenKey.spki, tokenInput);
    return { material, challenge, tokenKey, nonce, blinding };
  }

  /** Persona signs blindly (identified, billed), then finalize (unblind + verify) and store the sealed pass. */
  private async signAndStore(request: IssueRequest, prepared: PreparedIssuance): Promise<PassRecord> {
    const { api, engine, secretBox, storage, clock } = this.deps;
    const { material, challenge, tokenKey, nonce, blinding } = prepared;
    const { blindSig } = await api.createPrivacyPass(
      { blindedToken: encodeBase64url(blinding.blindedMessage), keyId: material.tokenKeyId },
      { idempotencyKey: randomUUID(), signal: request.signal },
    );
    this.deps.metrics.recordPassBought(request);
    const blindSignature = decodeBase64url(blindSig, 'blind-sig');
    if (blindSignature.length !== tokenKey.modulusBytes) {
      throw new RelayError(RelayErrorCode.INVALID_BLIND_SIGNATURE, 'Persona returned a blind signature of the wrong length', {
        context: { expectedBytes: tokenKey.modulusBytes, actualBytes: blindSignature.length },
      });
    }
    const signature = await engine.finalize(blinding.state, blindSignature);
    const token = encodePrivacyPassToken({ tokenNonce: nonce, signature, keyId: material.tokenKeyId, challenge: challenge.fields });

    const id = randomUUID();
    const pass: PassRecord = {
      id,
      tokenSealed: secretBox.seal(token, sealedField.passToken(id)),
      keyId: material.tokenKeyId,
      claimType: request.claimType,
      environment: request.environment,
      expiresAt: challenge.expiresAt,
      state: 'AVAILABLE',
      sessionId: request.relay?.sessionId ?? null,
      reservedBy: null,
      createdAt: clock(),
    };
    await storage.passes.insert(pass);
    this.deps.logger.debug('privacy pass issued', { passId: id, claimType: request.claimType, environment: request.environment });
    return pass;
  }

  /**
   * Provides a pass for a new relay (`at-creation`) off the request path: binds
   * an unbound pass Persona refunded earlier (`token-consumed: false`) if one is
   * usable, so no new pass is bought; otherwise fetches the challenge at once
   * and issues after a random delay (`issuanceJitterMs`) before the identified
   * call, so that call's timing matches neither the session creation nor the
   * relay's 401 probe. Failures are logged; redemption then issues on demand.
   * Shutdown cuts the delay short and abandons the issuance.
   */
  issueInBackground(request: BackgroundIssueRequest): void {
    const { tasks, options, random } = this.deps;
    const signingDelayMs = Math.floor(random() * options.issuanceJitterMs);
    const task = tasks
      .run('at-creation issuance', async (shutdown) => {
        if (await this.adoptRefunded(request)) return;
        await this.issue({ ...request, signingDelayMs, signal: shutdown });
      })
      .finally(() => {
        this.issuing.delete(request.relay.sessionId);
      });
    this.issuing.set(request.relay.sessionId, task);
  }

  /** Binds an unbound, still usable pass of the kind to the relay's session; false when there is none. */
  private async adoptRefunded(request: BackgroundIssueRequest): Promise<boolean> {
    const { storage, clock, options } = this.deps;
    const adopted = await storage.passes.adoptUnbound({
      sessionId: request.relay.sessionId,
      claimType: request.claimType,
      environment: request.environment,
      usableAfter: new Date(clock().getTime() + options.tokenExpiryMarginMs),
    });
    if (adopted) this.deps.logger.debug('unbound privacy pass adopted', { passId: adopted.id, sessionId: request.relay.sessionId });
    return adopted !== null;
  }

  /** Waits for an in-process background issuance for this session, if one is running. */
  async whenIssued(sessionId: string): Promise<void> {
    await this.issuing.get(sessionId);
  }

  /** Challenge material per `challengeSource`. */
  private async fetchChallenge(request: IssueRequest): Promise<ChallengeMaterial> {
    const source = this.deps.options.challengeSource;
    if (request.relay && source !== 'endpoint') {
      const fromRelay = await this.challengeFromRelay(request.relay, source, request.signal);
      if (fromRelay) return fromRelay;
      if (source === 'relay') {
        throw new RelayError(RelayErrorCode.INVALID_CHALLENGE, "The relay's 401 carried no usable PrivateToken challenge");
      }
    }
    return this.deps.api.requestChallenge(
      { claimType: request.claimType, sandbox: request.environment === 'sandbox' },
      { signal: request.signal },
    );
  }

  /** The relay's 401 challenge, or `undefined` when the probe did not produce a usable one. */
  private async challengeFromRelay(
    relay: IssuanceRelay,
    source: 'auto' | 'relay',
    signal?: AbortSignal,
  ): Promise<ChallengeMaterial | undefined> {
    let probe: Awaited<ReturnType<PersonaApi['probeChallenge']>>;
    try {
      probe = await this.deps.api.probeChallenge({ relayToken: relay.relayToken, relaySecret: relay.relaySecret }, { signal });
    } catch (error) {
      // In `auto` mode any probe failure (a broken connection, an oversized answer) falls back to the endpoint.
      if (source === 'relay' || isRelayError(error, RelayErrorCode.ABORTED)) throw error;
      this.deps.logger.debug('relay probe failed; using the challenge endpoint', describeError(error));
      return undefined;
    }
    if (probe.status !== 401 || probe.wwwAuthenticate === undefined) {
      this.deps.logger.debug('relay probe gave no challenge', { status: probe.status, requestId: probe.requestId });
      return undefined;
    }
    try {
      return findPrivateTokenChallenge(probe.wwwAuthenticate);
    } catch (error) {
      this.deps.logger.debug('relay probe challenge unusable', describeError(error));
      return undefined;
    }
  }
}
