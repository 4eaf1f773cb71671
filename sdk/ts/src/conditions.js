// @ts-check
/**
 * The local side of a badge class's conditions document: its paramsHash and validatorKind.
 * paramsHash = keccak256 of the canonical JSON (RFC 8785: keys sorted, no whitespace), the same
 * bytes trex_zktls::canonical_json (used by trex-validator and the Rust SDK) writes. The validator
 * hashes the document exactly as written (only key order and whitespace are normalised), so any
 * spelling of an amount ("1", 1, "0x1") or address (checksummed or not) gives the same hash here
 * and there; uint256 amounts are best written as decimal strings.
 */
import { keccak256, toHex } from 'viem';

/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as RFC 8785), no whitespace.
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(/** @type {any} */ (value)[k])}`);
    return `{${entries.join(',')}}`;
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** keccak256 of the canonical JSON of a conditions document. @param {unknown} conditions */
export function paramsHash(conditions) {
  return keccak256(toHex(canonicalJson(conditions)));
}

/** A class's validatorKind: keccak256 of the kind's name ("NFT", "ZKTLS", …). @param {string} name */
export function validatorKind(name) {
  return keccak256(toHex(name));
}
