// @ts-check
/**
 * Linking a Solana address: the ed25519 key signs a fixed message naming the passport's DID,
 * the validator checks it and attests the link, the passport owner submits the attestation.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { base58 } from '@scure/base';
import { bytesToHex, hexToBytes } from 'viem';

/**
 * `T-Rex Passport: link Solana address <base58> to did:trex:<chainId>:<passportId>`.
 * @param {number | bigint} chainId @param {bigint} passportId @param {string} solanaAddress base58
 */
export function solanaLinkMessage(chainId, passportId, solanaAddress) {
  return `T-Rex Passport: link Solana address ${solanaAddress} to did:trex:${chainId}:${passportId}`;
}

/**
 * Something that holds a Solana key: a local ed25519 secret (32 bytes) or a wallet adapter with
 * `publicKey` (32 bytes) and `signMessage(bytes) → 64-byte signature`.
 * @typedef {{publicKey: Uint8Array, signMessage: (message: Uint8Array) => Uint8Array | Promise<Uint8Array>}} SolanaSigner
 */

/**
 * A SolanaSigner over a local ed25519 secret key (32 bytes; random when omitted).
 * @param {Uint8Array} [secretKey]
 * @returns {SolanaSigner & {secretKey: Uint8Array}}
 */
export function localSolanaSigner(secretKey = ed25519.utils.randomPrivateKey()) {
  return {
    secretKey,
    publicKey: ed25519.getPublicKey(secretKey),
    signMessage: (message) => ed25519.sign(message, secretKey),
  };
}

/** Base58 form of a 32-byte Solana address. @param {Uint8Array} publicKey */
export function solanaAddress(publicKey) {
  return base58.encode(publicKey);
}

/**
 * The 32 bytes of a base58 Solana address as 0x-hex (bytes32, as the passport stores it).
 * @param {string} address
 * @returns {`0x${string}`}
 */
export function solanaAddressBytes(address) {
  const bytes = base58.decode(address);
  if (bytes.length !== 32) throw new Error(`${address} is not a 32-byte Solana address`);
  return bytesToHex(bytes);
}

/** Base58 form of a bytes32 Solana address. @param {`0x${string}`} bytes32 */
export function solanaAddressFromBytes(bytes32) {
  return base58.encode(hexToBytes(bytes32));
}

/**
 * Signs the link message: what POST /v1/link/solana takes.
 * @param {SolanaSigner} signer @param {number | bigint} chainId @param {bigint} passportId
 * @returns {Promise<{address: string, signature: string}>} both base58
 */
export async function signSolanaLink(signer, chainId, passportId) {
  const address = solanaAddress(signer.publicKey);
  const message = new TextEncoder().encode(solanaLinkMessage(chainId, passportId, address));
  const signature = await signer.signMessage(message);
  return { address, signature: base58.encode(signature) };
}
