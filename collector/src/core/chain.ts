/**
 * The tamper-evident ledger (issue 12): every entry group is committed to by a content hash, and the
 * groups are linked in the order they were sealed, each link hashing the one before it:
 *
 *     content_n = H(canonical({ v: 1, header, private: H(s_p ‖ private), facts: H(s_f ‖ facts), legs: [H(s_i ‖ leg_i)] }))
 *     hash_n    = H("pp-chain-v1" ‖ hash_{n−1} ‖ content_n),          hash_0 = 64 zeros
 *
 * H is SHA-256, hex; `canonical` is canonical.ts. The header (kind, booking time, currency, campaign,
 * publisher, slot, terms version) is in clear; the private header (key, what was billed, advertiser,
 * reason), the recorded facts and every leg are each committed to with a salt of their own, derived
 * from the group's random salt. So one group can be shown in part — a publisher gets the header, its
 * own leg and that leg's salt, and hashes for the rest — and still be checked against the chain,
 * while the salts keep small amounts (a leg's micros) from being guessed from their hashes.
 *
 * What the chain proves and does not (ARCHITECTURE.md "The ledger chain"): once a head is signed,
 * no group before it can be deleted, reordered or edited without the head changing; it cannot prove
 * that a fact was true when it was recorded, nor that something was never recorded.
 *
 * Pure: the hash function is passed in (node:crypto in the collector and the CLI, a JS SHA-256 in
 * the browser), so the collector and every verifier run this same code.
 */
import { canonicalJson } from './canonical';
import type { EntryGroup, Leg } from './ledger';

/**
 * SHA-256 of some bytes, or of a string's UTF-8 bytes. Text is handed over as text so a runtime that
 * can encode natively does (node:crypto's one-shot hash); the browser's encodes it with TextEncoder.
 */
export type Sha256 = ((data: Uint8Array | string) => Uint8Array) & {
  /**
   * The same hash of a string, as lower-case hex, where the runtime has it natively (node:crypto):
   * a verifier hashes about twelve short texts per entry, and turning each digest into hex in
   * JavaScript was a fifth of the hashing time (bench/statement-bench.ts). Must equal
   * `toHex(sha256(text))`; chain.test.ts checks the collector's.
   */
  hex?: (text: string) => string;
};

/** The hash before the first link. */
export const GENESIS_HASH = '0'.repeat(64);

/** What anyone holding the group may read. */
export interface PublicHeader {
  kind: EntryGroup['kind'];
  at: number;
  currency: string;
  campaignId: string;
  publisherId: string;
  slotId: string | null;
  termsVersion: number;
}

/** What is committed to with a salt: the key, what was billed and for whom, and why. */
export interface PrivateHeader {
  key: string;
  refType: EntryGroup['meta']['refType'];
  refId: string;
  advertiserId: string;
  reason: string | null;
}

/** A part of a group either shown (with its salt) or hidden behind its salted hash. */
export type Part<T> = { value: T; salt: string } | { hash: string };

/** A group as some party sees it: each salted part shown or hidden. */
export interface GroupView {
  header: PublicHeader;
  private: Part<PrivateHeader>;
  facts: Part<unknown>;
  legs: Part<Leg>[];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of some bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

function hashText(sha256: Sha256, ...parts: string[]): string {
  const text = parts.join('\u0000');
  return sha256.hex ? sha256.hex(text) : toHex(sha256(text));
}

/** The salt of one part of a group, derived from the group's salt (a part's salt reveals no other). */
export function partSalt(sha256: Sha256, groupSalt: string, part: string): string {
  return hashText(sha256, 'pp-salt-v1', groupSalt, part);
}

/** The salted hash of one part's value. */
export function partHash(sha256: Sha256, salt: string, value: unknown): string {
  return partHashOfText(sha256, salt, canonicalJson(value));
}

/** The salted hash of one part given its canonical JSON text (canonical.ts), already written. */
export function partHashOfText(sha256: Sha256, salt: string, canonicalText: string): string {
  return hashText(sha256, 'pp-part-v1', salt, canonicalText);
}

/** Legs in their committed order: by account, then side (so storage order never matters). */
export function sortedLegs(legs: readonly Leg[]): Leg[] {
  return [...legs].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : a.side < b.side ? -1 : a.side > b.side ? 1 : 0));
}

/** The public and private headers of a group. */
export function headersOf(g: EntryGroup): { header: PublicHeader; private: PrivateHeader } {
  const m = g.meta;
  // Keys written in canonical (sorted) order, so canonicalJson finds them in order and need not sort:
  // a verifier hashes these for every entry.
  return {
    header: { at: m.at, campaignId: m.campaignId, currency: m.currency, kind: g.kind, publisherId: m.publisherId, slotId: m.slotId ?? null, termsVersion: m.termsVersion },
    private: { advertiserId: m.advertiserId, key: g.key, reason: m.reason, refId: m.refId, refType: m.refType },
  };
}

/** The whole group as its owner (the advertiser, the operator) sees it: every part shown. */
export function fullView(sha256: Sha256, g: EntryGroup, facts: unknown, groupSalt: string): GroupView {
  const { header, private: priv } = headersOf(g);
  return {
    header,
    private: { value: priv, salt: partSalt(sha256, groupSalt, 'private') },
    facts: { value: facts ?? null, salt: partSalt(sha256, groupSalt, 'facts') },
    legs: sortedLegs(g.legs).map((leg, i) => ({ value: leg, salt: partSalt(sha256, groupSalt, `leg:${i}`) })),
  };
}

/** The same view with every part but `keep` hidden behind its hash (a publisher's view keeps its own legs). */
export function redactedView(sha256: Sha256, view: GroupView, keep: (leg: Leg) => boolean): GroupView {
  const hide = <T>(p: Part<T>): Part<T> => ('hash' in p ? p : { hash: partHash(sha256, p.salt, p.value) });
  return { header: view.header, private: hide(view.private), facts: hide(view.facts), legs: view.legs.map((p) => ('value' in p && keep(p.value) ? p : hide(p))) };
}

/** The content hash of a group from any view of it (shown parts are hashed, hidden ones taken as given). */
export function contentHash(sha256: Sha256, view: GroupView): string {
  const h = <T>(p: Part<T>) => ('hash' in p ? p.hash : partHash(sha256, p.salt, p.value));
  // Keys in canonical order (see headersOf); the text is the same in any order.
  return hashText(sha256, 'pp-group-v1', canonicalJson({ facts: h(view.facts), header: view.header, legs: view.legs.map(h), private: h(view.private), v: 1 }));
}

/** The chain link after `prev` for a group of content hash `content`. */
export function linkHash(sha256: Sha256, prev: string, content: string): string {
  return hashText(sha256, 'pp-chain-v1', prev, content);
}

/** The message a chain head's signature is over. */
export function headMessage(head: { seq: number; hash: string }): Uint8Array {
  return new TextEncoder().encode(canonicalJson({ chain: 'perfpixel-ledger-v1', seq: head.seq, hash: head.hash }));
}
