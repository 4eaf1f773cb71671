// @ts-check
/**
 * HTTP client of the trex-validator service. JSON with uint256 values as decimal strings; errors
 * are `{"error": {"code", "message", "reasons"?}}` and surface as ValidatorApiError.
 */
import { paramsHash } from './conditions.js';

/** @typedef {`0x${string}`} Hex */
/** @typedef {import('viem').Address} Address */

/** The service refused a request: HTTP status, stable `code`, `message` and `reasons`. */
export class ValidatorApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {string[]} reasons */
  constructor(status, code, message, reasons) {
    super(`validator refused (${status} ${code}): ${message}${reasons.length ? ` [${reasons.join('; ')}]` : ''}`);
    this.name = 'ValidatorApiError';
    /** HTTP status. */
    this.status = status;
    /** ValidatorError::code() of the service (`http_<status>` for a body that is not the API's). */
    this.code = code;
    /** The service's message. */
    this.detail = message;
    /** One line per failed check, when conditions were not met. */
    this.reasons = reasons;
  }
}

/**
 * @typedef {object} SignedMintAttestation
 * @property {{classId: bigint, passportId: bigint, recipient: Address, attestationId: Hex, deadline: bigint}} attestation
 * @property {Hex} signature
 * @property {Address} validator
 * @property {string[]} reasons
 */
/**
 * @typedef {object} SignedSolanaLink
 * @property {{passportId: bigint, solanaAddress: Hex, attestationId: Hex, deadline: bigint}} attestation
 * @property {Hex} signature
 * @property {Address} validator
 */
/**
 * @typedef {object} SignedWeb2Link
 * @property {{passportId: bigint, platform: Hex, handleHash: Hex, attestationId: Hex, deadline: bigint}} attestation
 * @property {Hex} signature
 * @property {Address} validator
 */
/**
 * What a caller brings besides the passport.
 * @typedef {{zktlsProofs?: unknown[], eventCode?: string, allowlist?: {account: Address, proof: Hex[]}}} Evidence
 */

const BIG = new Set(['classId', 'passportId', 'deadline']);

/** Decimal strings of uint256 fields become bigints. @param {any} attestation */
function bigints(attestation) {
  return Object.fromEntries(
    Object.entries(attestation).map(([k, v]) => [k, BIG.has(k) ? BigInt(v) : v]),
  );
}

/**
 * @param {bigint} expected @param {bigint} actual @param {string} what
 */
function expect(expected, actual, what) {
  if (expected !== actual) {
    throw new Error(`validator answered for ${what} ${actual}, asked for ${expected}`);
  }
}

/**
 * A client of the service at `baseUrl` (e.g. http://127.0.0.1:8090).
 * @param {string} baseUrl
 * @param {{fetch?: typeof fetch}} [options] a fetch implementation (timeouts, proxies)
 */
export function validatorClient(baseUrl, { fetch: fetchImpl = fetch } = {}) {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;

  /** @param {string} method @param {string} path @param {unknown} [body] */
  async function request(method, path, body) {
    const res = await fetchImpl(new URL(path, base), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body, (_, v) => (typeof v === 'bigint' ? v.toString() : v)),
    });
    const text = await res.text();
    if (res.ok) return JSON.parse(text);
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not the API's error body */
    }
    if (parsed?.error?.code) {
      throw new ValidatorApiError(res.status, parsed.error.code, parsed.error.message ?? '', parsed.error.reasons ?? []);
    }
    throw new ValidatorApiError(res.status, `http_${res.status}`, text.slice(0, 500), []);
  }

  const client = {
    baseUrl: base,
    /** GET /v1/info: `{validator, chainId, passport, badge, chains, solana, attestationTtl}`. */
    info: () => request('GET', 'v1/info'),
    /**
     * POST /v1/conditions/hash: `{paramsHash, validatorKind, kind}` a class for the document must declare.
     * @param {unknown} conditions
     * @returns {Promise<{paramsHash: Hex, validatorKind: Hex, kind: string}>}
     */
    conditionsHash: (conditions) => request('POST', 'v1/conditions/hash', conditions),
    /**
     * conditionsHash checked against the SDK's own paramsHash: a class never declares a hash only
     * the service computed.
     * @param {unknown} conditions
     */
    async conditionsHashChecked(conditions) {
      const answer = await client.conditionsHash(conditions);
      const local = paramsHash(conditions);
      if (answer.paramsHash.toLowerCase() !== local) {
        throw new Error(
          `paramsHash mismatch: the validator computed ${answer.paramsHash}, the SDK ${local}; the document was changed between the two`,
        );
      }
      return answer;
    },
    /**
     * PUT /v1/classes/{id}/conditions (idempotent).
     * @param {bigint} classId @param {unknown} conditions
     */
    registerConditions: (classId, conditions) =>
      request('PUT', `v1/classes/${classId}/conditions`, conditions),
    /** GET /v1/classes/{id}/conditions: `{classId, paramsHash, kind, conditions}`. @param {bigint} classId */
    conditions: (classId) => request('GET', `v1/classes/${classId}/conditions`),
    /**
     * POST /v1/classes/{id}/validate: a signed MintAttestation for the passport's owner, or a
     * ValidatorApiError (`condition_not_met` with reasons, `proof_replayed`, …).
     * @param {bigint} classId @param {bigint} passportId @param {Evidence} [evidence]
     * @returns {Promise<SignedMintAttestation>}
     */
    async validate(classId, passportId, evidence = {}) {
      const answer = await request('POST', `v1/classes/${classId}/validate`, {
        passportId: passportId.toString(),
        evidence,
      });
      const signed = { ...answer, reasons: answer.reasons ?? [], attestation: bigints(answer.attestation) };
      expect(classId, signed.attestation.classId, 'class');
      expect(passportId, signed.attestation.passportId, 'passport');
      return signed;
    },
    /**
     * POST /v1/link/solana with the Solana key's signature of solanaLinkMessage (both base58).
     * @param {bigint} passportId @param {string} solanaAddress @param {string} signature
     * @returns {Promise<SignedSolanaLink>}
     */
    async linkSolana(passportId, solanaAddress, signature) {
      const answer = await request('POST', 'v1/link/solana', {
        passportId: passportId.toString(),
        solanaAddress,
        signature,
      });
      const signed = { ...answer, attestation: bigints(answer.attestation) };
      expect(passportId, signed.attestation.passportId, 'passport');
      return signed;
    },
    /**
     * POST /v1/link/web2 with a Reclaim proof of the `web2-account` provider.
     * @param {bigint} passportId @param {string} platform @param {unknown} proof
     * @returns {Promise<SignedWeb2Link>}
     */
    async linkWeb2(passportId, platform, proof) {
      const answer = await request('POST', 'v1/link/web2', {
        passportId: passportId.toString(),
        platform,
        proof,
      });
      const signed = { ...answer, attestation: bigints(answer.attestation) };
      expect(passportId, signed.attestation.passportId, 'passport');
      return signed;
    },
  };
  return client;
}
