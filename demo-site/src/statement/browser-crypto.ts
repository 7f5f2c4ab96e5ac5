/**
 * The verifier's runtime in the browser: SHA-256 and Ed25519 from the audited pure-JS noble
 * libraries. Synchronous (WebCrypto's digest and verify are promise-only, and the verifier is a
 * synchronous stream consumer), and the same answers as node:crypto in the CLI: Ed25519 is checked
 * the strict RFC 8032 way (`zip215: false`), as OpenSSL does, so a signature cannot pass in one and
 * fail in the other.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import type { Sha256 } from '../../../collector/src/core/chain';

const encoder = new TextEncoder();

/** SHA-256 of some bytes, or of a string's UTF-8 bytes. */
export const sha256: Sha256 = (data) => nobleSha256(typeof data === 'string' ? encoder.encode(data) : data);

/** Ed25519 verification of `signature` over `message` with a raw 32-byte public key; false for any malformed input. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
