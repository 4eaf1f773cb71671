// @ts-check
/**
 * DID login: Sign-In with Ethereum (EIP-4361) messages bound to a T-Rex passport. The message's
 * Resources hold the passport DID `did:trex:<chainId>:<id>`; the server verifies the signature
 * (EIP-191, or ERC-1271 / ERC-6492 for contract wallets, through viem's verifyMessage), its domain
 * and nonce, the time window and chain id, and on chain that the signer is the passport's owner or
 * a linked wallet (passportOfWallet(address) == id). Messages are written with viem's
 * createSiweMessage and read with a strict parser (viem's parseSiweMessage is lenient).
 */
import { getAddress, isAddress } from 'viem';
import { createSiweMessage, generateSiweNonce } from 'viem/siwe';
import { passportAbi } from './artifacts.js';

/** Why a DID login was refused; `code` is stable. */
export class SiweError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'SiweError';
    /** malformed | domain_mismatch | nonce_mismatch | chain_mismatch | expired | not_yet_valid | bad_signature | not_bound | not_passport_wallet */
    this.code = code;
  }
}

/** `did:trex:<chainId>:<passportId>`. @param {number | bigint} chainId @param {bigint} passportId */
export function passportDid(chainId, passportId) {
  return `did:trex:${chainId}:${passportId}`;
}

/** A fresh random nonce (viem's generateSiweNonce, 96 alphanumerics). */
export const generateNonce = generateSiweNonce;

/**
 * @typedef {object} LoginFields
 * @property {string} domain RFC 3986 authority asking for the login
 * @property {import('viem').Address} address the signing wallet
 * @property {string} uri
 * @property {number} chainId the passport contract's chain
 * @property {string} nonce at least 8 alphanumerics, issued by the server
 * @property {bigint} passportId the passport the login is for
 * @property {string} [scheme]
 * @property {string} [statement]
 * @property {Date} [issuedAt] default now
 * @property {Date} [expirationTime]
 * @property {Date} [notBefore]
 * @property {string} [requestId]
 * @property {string[]} [resources] more resources (the DID is appended)
 */

/**
 * The EIP-4361 text a wallet signs to log in with a passport.
 * @param {LoginFields} fields
 */
export function createLoginMessage({ passportId, resources = [], ...fields }) {
  const message = createSiweMessage({
    ...fields,
    version: '1',
    resources: [...resources, passportDid(fields.chainId, passportId)],
  });
  parseLoginMessage(message); // every field checked against the grammar
  return message;
}

const PREAMBLE = ' wants you to sign in with your Ethereum account:';
const UNRESERVED = /[A-Za-z0-9\-._~]/;
const SUB_DELIM = /[!$&'()*+,;=]/;
/** @param {string} c */
const isPchar = (c) => UNRESERVED.test(c) || SUB_DELIM.test(c) || ':@%'.includes(c);
/** @param {string} s */
const isAuthority = (s) => s.length > 0 && [...s].every((c) => isPchar(c) || c === '[' || c === ']');
/** @param {string} s */
const isStatement = (s) => [...s].every((c) => UNRESERVED.test(c) || SUB_DELIM.test(c) || ' :/?#[]@'.includes(c));
/** @param {string} s */
function isUri(s) {
  if (!s || /\s/.test(s) || !/^[A-Za-z][A-Za-z0-9+\-.]*:/.test(s)) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * @typedef {object} ParsedLogin
 * @property {string} [scheme]
 * @property {string} domain
 * @property {import('viem').Address} address
 * @property {string} [statement]
 * @property {string} uri
 * @property {'1'} version
 * @property {number} chainId
 * @property {string} nonce
 * @property {Date} issuedAt
 * @property {Date} [expirationTime]
 * @property {Date} [notBefore]
 * @property {string} [requestId]
 * @property {string[]} resources
 */

/**
 * Parses an EIP-4361 message strictly (the EIP's ABNF, EIP-55 address, RFC 3339 times, LF only,
 * nothing after the last field); throws SiweError `malformed` with the line.
 * @param {string} text
 * @returns {ParsedLogin}
 */
export function parseLoginMessage(text) {
  const lines = text.split('\n');
  let at = 0;
  const fail = (/** @type {number} */ line, /** @type {string} */ reason) => {
    throw new SiweError('malformed', `malformed EIP-4361 message, line ${line}: ${reason}`);
  };
  const next = (/** @type {string} */ what) => (at < lines.length ? lines[at++] : fail(at + 1, `missing ${what}`));
  const tagged = (/** @type {string} */ tag) => {
    const line = /** @type {string} */ (next(tag));
    if (!line.startsWith(`${tag}: `)) fail(at, `expected \`${tag}: …\`, found \`${line}\``);
    return line.slice(tag.length + 2);
  };
  const optional = (/** @type {string} */ tag) => {
    if (at < lines.length && lines[at].startsWith(`${tag}: `)) return lines[at++].slice(tag.length + 2);
    return undefined;
  };
  const time = (/** @type {string} */ value) => {
    const date = new Date(value);
    if (!RFC3339.test(value) || Number.isNaN(date.getTime())) fail(at, `\`${value}\` is not an RFC 3339 date-time`);
    return date;
  };

  if (text.includes('\r')) fail(1, 'lines end with LF only');
  const first = /** @type {string} */ (next('preamble'));
  if (!first.endsWith(PREAMBLE)) fail(1, `expected \`<domain>${PREAMBLE}\``);
  const origin = first.slice(0, -PREAMBLE.length);
  const split = origin.indexOf('://');
  const scheme = split >= 0 ? origin.slice(0, split) : undefined;
  const domain = split >= 0 ? origin.slice(split + 3) : origin;
  if (scheme !== undefined && !/^[A-Za-z][A-Za-z0-9+\-.]*$/.test(scheme)) fail(1, `\`${scheme}\` is not a URI scheme`);
  if (!isAuthority(domain)) fail(1, `\`${domain}\` is not an RFC 3986 authority`);

  const raw = /** @type {string} */ (next('address'));
  if (!isAddress(raw, { strict: false }) || getAddress(raw) !== raw) fail(2, `\`${raw}\` is not an EIP-55 checksummed address`);
  if (next('blank line') !== '') fail(3, 'expected a blank line after the address');
  let statement;
  const s = /** @type {string} */ (next('statement or blank line'));
  if (s !== '') {
    if (!isStatement(s)) fail(4, 'the statement has characters EIP-4361 forbids');
    if (next('blank line') !== '') fail(5, 'expected a blank line after the statement');
    statement = s;
  }
  const uri = tagged('URI');
  if (!isUri(uri)) fail(at, `\`${uri}\` is not an RFC 3986 URI`);
  const version = tagged('Version');
  if (version !== '1') fail(at, `version \`${version}\` is not 1`);
  const chain = tagged('Chain ID');
  if (!/^\d+$/.test(chain) || !Number.isSafeInteger(Number(chain))) fail(at, `\`${chain}\` is not a chain id`);
  const nonce = tagged('Nonce');
  if (!/^[A-Za-z0-9]{8,}$/.test(nonce)) fail(at, 'the nonce must be 8 or more alphanumerics');
  const issuedAt = time(tagged('Issued At'));
  const exp = optional('Expiration Time');
  const expirationTime = exp === undefined ? undefined : time(exp);
  const nbf = optional('Not Before');
  const notBefore = nbf === undefined ? undefined : time(nbf);
  const requestId = optional('Request ID');
  if (requestId !== undefined && ![...requestId].every(isPchar)) fail(at, 'the request id has characters EIP-4361 forbids');
  /** @type {string[]} */
  const resources = [];
  if (lines[at] === 'Resources:') {
    at += 1;
    while (at < lines.length) {
      const line = lines[at];
      if (!line.startsWith('- ') || !isUri(line.slice(2))) fail(at + 1, `\`${line}\` is not \`- <URI>\``);
      resources.push(line.slice(2));
      at += 1;
    }
  }
  if (at < lines.length) fail(at + 1, `unexpected \`${lines[at]}\``);
  return {
    ...(scheme !== undefined ? { scheme } : {}),
    domain,
    address: /** @type {import('viem').Address} */ (raw),
    ...(statement !== undefined ? { statement } : {}),
    uri,
    version: '1',
    chainId: Number(chain),
    nonce,
    issuedAt,
    ...(expirationTime ? { expirationTime } : {}),
    ...(notBefore ? { notBefore } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    resources,
  };
}

/**
 * The passport a parsed message is bound to: its one `did:trex:<chainId>:<id>` resource on the
 * message's chain.
 * @param {ParsedLogin} message
 * @returns {bigint}
 */
export function boundPassport(message) {
  const dids = message.resources.filter((r) => r.startsWith('did:trex:'));
  if (dids.length !== 1) {
    throw new SiweError('not_bound', `the message is not bound to one passport (${dids.length} did:trex resources)`);
  }
  const match = /^did:trex:(\d+):([1-9]\d*)$/.exec(dids[0]);
  if (!match || Number(match[1]) !== message.chainId || match[1] !== String(message.chainId)) {
    throw new SiweError('not_bound', `\`${dids[0]}\` is not did:trex:${message.chainId}:<id>`);
  }
  return BigInt(match[2]);
}

/**
 * Verifies a DID login server-side. Throws SiweError (its `code` says why) or returns the login.
 * @param {object} args
 * @param {string} args.message the EIP-4361 text the wallet signed
 * @param {import('viem').Hex} args.signature
 * @param {string} args.domain this server's domain
 * @param {string} args.nonce the nonce this server issued for the login
 * @param {import('viem').PublicClient} args.publicClient on the passport's chain (also runs ERC-1271)
 * @param {import('viem').Address} args.passport the TRexPassport proxy
 * @param {Date} [args.time] now
 * @returns {Promise<{address: import('viem').Address, passportId: bigint, did: string, message: ParsedLogin}>}
 */
export async function verifyLogin({ message, signature, domain, nonce, publicClient, passport, time = new Date() }) {
  const parsed = parseLoginMessage(message);
  if (parsed.domain !== domain) throw new SiweError('domain_mismatch', `domain \`${parsed.domain}\` is not this server's \`${domain}\``);
  if (parsed.nonce !== nonce) throw new SiweError('nonce_mismatch', `nonce \`${parsed.nonce}\` is not the one issued`);
  if (parsed.expirationTime && time >= parsed.expirationTime) {
    throw new SiweError('expired', `the message expired at ${parsed.expirationTime.toISOString()}`);
  }
  if (parsed.notBefore && time < parsed.notBefore) {
    throw new SiweError('not_yet_valid', `the message is not valid before ${parsed.notBefore.toISOString()}`);
  }
  const passportId = boundPassport(parsed);
  const chainId = await publicClient.getChainId();
  if (parsed.chainId !== chainId) {
    throw new SiweError('chain_mismatch', `chain id ${parsed.chainId} is not the passport contract's chain ${chainId}`);
  }
  const valid = await publicClient.verifyMessage({ address: parsed.address, message, signature });
  if (!valid) throw new SiweError('bad_signature', `signature of ${parsed.address} does not verify`);
  const actual = /** @type {bigint} */ (
    await publicClient.readContract({ address: passport, abi: passportAbi, functionName: 'passportOfWallet', args: [parsed.address] })
  );
  if (actual !== passportId) {
    throw new SiweError('not_passport_wallet', `${parsed.address} is not a wallet of passport ${passportId} (it belongs to passport ${actual})`);
  }
  return { address: parsed.address, passportId, did: passportDid(chainId, passportId), message: parsed };
}
