// Test-only: a tiny trex-validator speaking the documented routes and JSON shapes, signing real
// EIP-712 attestations with a local key for an anvil deployment, without evaluating conditions
// (the real service is tested in validator/). Hooks: the event code `nope` is an unmet condition,
// a reused proof identifier is `proof_replayed`.
import { createServer } from 'node:http';
import { ed25519 } from '@noble/curves/ed25519';
import { base58 } from '@scure/base';
import { keccak256, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  passportAbi,
  paramsHash,
  signLinkSolana,
  signLinkWeb2,
  signMintAttestation,
  solanaLinkMessage,
  validatorKind,
} from '../../src/index.js';

/**
 * @param {{publicClient: import('viem').PublicClient, passport: `0x${string}`, badge: `0x${string}`}} args
 */
export async function startMockValidator({ publicClient, passport, badge }) {
  const signer = privateKeyToAccount(generatePrivateKey());
  const chainId = await publicClient.getChainId();
  /** @type {Map<string, any>} */
  const classes = new Map();
  const usedProofs = new Set();
  const deadline = () => BigInt(Math.floor(Date.now() / 1000) + 3600);
  const randomId = () => keccak256(toHex(`${Math.random()}-${Date.now()}`));
  const hashOf = (/** @type {any} */ doc) => ({ paramsHash: paramsHash(doc), validatorKind: validatorKind(doc.kind), kind: doc.kind });
  const fail = (/** @type {number} */ status, /** @type {string} */ code, /** @type {string} */ message, reasons = []) => ({
    status,
    body: { error: { code, message, ...(reasons.length ? { reasons } : {}) } },
  });

  /** @param {string} method @param {string} path @param {any} body */
  async function route(method, path, body) {
    let m;
    if (method === 'GET' && path === '/v1/info') {
      return { status: 200, body: { validator: signer.address, chainId, passport, badge, chains: ['trex'], solana: true, attestationTtl: 3600 } };
    }
    if (method === 'GET' && path === '/broken/v1/info') return { status: 502, text: 'upstream down' };
    if (method === 'POST' && path === '/v1/conditions/hash') {
      if (body.version !== 1) return fail(400, 'invalid_conditions', 'invalid conditions: version is not supported');
      return { status: 200, body: hashOf(body) };
    }
    if ((m = /^\/v1\/classes\/(\d+)\/conditions$/.exec(path))) {
      if (method === 'PUT') {
        classes.set(m[1], body);
        const { validatorKind: _, ...rest } = hashOf(body);
        return { status: 200, body: { classId: m[1], ...rest } };
      }
      const doc = classes.get(m[1]);
      if (!doc) return fail(404, 'conditions_not_registered', 'no conditions');
      const { validatorKind: _, ...rest } = hashOf(doc);
      return { status: 200, body: { classId: m[1], ...rest, conditions: doc } };
    }
    if (method === 'POST' && (m = /^\/v1\/classes\/(\d+)\/validate$/.exec(path))) {
      if (!classes.has(m[1])) return fail(404, 'conditions_not_registered', 'no conditions are registered');
      const evidence = body.evidence ?? {};
      if (evidence.eventCode === 'nope') {
        return fail(422, 'condition_not_met', 'conditions not met', ['event code is not one of 1 accepted codes']);
      }
      const ids = (evidence.zktlsProofs ?? []).map((/** @type {any} */ p) => p.identifier);
      const replayed = ids.find((/** @type {string} */ id) => usedProofs.has(id));
      if (replayed) return fail(409, 'proof_replayed', `zkTLS proof ${replayed} was already used`);
      ids.forEach((/** @type {string} */ id) => usedProofs.add(id));
      const passportId = BigInt(body.passportId);
      const recipient = await publicClient.readContract({ address: passport, abi: passportAbi, functionName: 'ownerOf', args: [passportId] });
      const attestation = { classId: BigInt(m[1]), passportId, recipient, attestationId: randomId(), deadline: deadline() };
      const signature = await signMintAttestation(signer, { chainId, verifyingContract: badge }, attestation);
      return {
        status: 200,
        body: { attestation: { ...attestation, classId: m[1], passportId: body.passportId, deadline: attestation.deadline.toString() }, signature, validator: signer.address, reasons: ['mock: met'] },
      };
    }
    if (method === 'POST' && path === '/v1/link/solana') {
      const passportId = BigInt(body.passportId);
      const key = base58.decode(body.solanaAddress);
      const message = new TextEncoder().encode(solanaLinkMessage(chainId, passportId, body.solanaAddress));
      let valid = false;
      try {
        valid = ed25519.verify(base58.decode(body.signature), message, key);
      } catch {
        valid = false;
      }
      if (!valid) return fail(422, 'invalid_solana_signature', 'invalid Solana signature: does not verify');
      const link = { passportId, solanaAddress: toHex(key), attestationId: randomId(), deadline: deadline() };
      const signature = await signLinkSolana(signer, { chainId, verifyingContract: passport }, link);
      return { status: 200, body: { attestation: { ...link, passportId: body.passportId, deadline: link.deadline.toString() }, signature, validator: signer.address } };
    }
    if (method === 'POST' && path === '/v1/link/web2') {
      const passportId = BigInt(body.passportId);
      const link = {
        passportId,
        platform: keccak256(toHex(String(body.platform).toLowerCase())),
        handleHash: keccak256(toHex(String(body.proof?.identifier))),
        attestationId: randomId(),
        deadline: deadline(),
      };
      const signature = await signLinkWeb2(signer, { chainId, verifyingContract: passport }, link);
      return { status: 200, body: { attestation: { ...link, passportId: body.passportId, deadline: link.deadline.toString() }, signature, validator: signer.address } };
    }
    return fail(404, 'not_found', `${method} ${path}`);
  }

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      const out = await route(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, raw ? JSON.parse(raw) : undefined);
      if (out.text !== undefined) {
        res.writeHead(out.status, { 'content-type': 'text/plain' }).end(out.text);
      } else {
        res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}/`, signer, stop: () => server.close() };
}
