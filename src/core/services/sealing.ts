/**
 * Associated data for every sealed column. Binding each ciphertext to its row
 * and column means a database writer cannot move a sealed secret from one row
 * (or column) to another without the AES-GCM check failing on open.
 */
export const sealedField = {
  relayToken: (sessionId: string) => `persona_relay_relay_secret/${sessionId}/relay_token`,
  relaySecret: (sessionId: string) => `persona_relay_relay_secret/${sessionId}/relay_secret`,
  privateKey: (sessionId: string) => `persona_relay_relay_secret/${sessionId}/private_key`,
  passToken: (passId: string) => `persona_relay_pre_issued_token/${passId}/token`,
  response: (idempotencyKey: string) => `persona_relay_idempotency_record/${idempotencyKey}/response`,
  reservedPrivateKey: (reservedKeyPairId: string) => `persona_relay_key_reserve/${reservedKeyPairId}/private_key`,
} as const;
