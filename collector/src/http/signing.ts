/**
 * The operator's signing key (Ed25519, node:crypto): it signs the ledger chain's head, so a
 * statement proves the operator cannot rewrite history it has signed (core/chain.ts).
 *
 * ```ts
 * const signer = createSigner(readFileSync('signing-key.pem', 'utf8'), ['<retired public key, base64>']);
 * const sig = signer.sign(headMessage({ seq: 42, hash }));
 * ```
 *
 * Rotation (README "Check your invoice"): generate a new key, start the collector with it, and list
 * the old public key in SIGNING_KEYS_RETIRED so statements signed before still verify; the well-known
 * document lists the current key and every retired one, each with its key ID (the first 16 hex of
 * the SHA-256 of the raw public key).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';

/** A public key as statements and the well-known document name it. */
export interface PublicKeyEntry {
  keyId: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  current: boolean;
}

/** Signs chain heads with the current key; knows the retired ones. */
export interface Signer {
  keyId: string;
  publicKey: string;
  sign(message: Uint8Array): string;
  keys(): PublicKeyEntry[];
}

/** The key ID of a raw public key. */
export function keyIdOf(rawPublicKey: Uint8Array): string {
  return createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16);
}

/** A new Ed25519 private key, PKCS #8 PEM. */
export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** A signer over a PKCS #8 PEM Ed25519 private key, with retired public keys (base64, raw). */
export function createSigner(pem: string, retired: readonly string[] = []): Signer {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the signing key must be an Ed25519 private key (PKCS #8 PEM)');
  const raw = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url');
  const publicKey = raw.toString('base64');
  const keyId = keyIdOf(raw);
  return {
    keyId,
    publicKey,
    sign: (message) => sign(null, message, key).toString('base64'),
    keys: () => [
      { keyId, publicKey, current: true },
      ...retired.map((p) => ({ keyId: keyIdOf(Buffer.from(p, 'base64')), publicKey: p, current: false })),
    ],
  };
}

/** Ed25519 verification with node:crypto over a raw public key (the CLI's and the tests' verifier runtime). */
export function verifyEd25519(rawPublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(rawPublicKey).toString('base64url') }, format: 'jwk' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
