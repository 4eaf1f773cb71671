// DID login (EIP-4361 bound to a passport) against anvil, including the cross-SDK vectors in
// crates/sdk/testdata/siwe-vectors.json (one written by the Rust SDK, one by viem).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSiweMessage } from 'viem/siwe';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  SiweError,
  boundPassport,
  createLoginMessage,
  deployIdentity,
  parseLoginMessage,
  passportClient,
  verifyLogin,
} from '../src/index.js';
import { startAnvil } from './helpers/anvil.js';

const fixture = JSON.parse(readFileSync(new URL('../../../crates/sdk/testdata/siwe-vectors.json', import.meta.url), 'utf8'));

/** @type {Awaited<ReturnType<typeof startAnvil>>} */
let anvil;
before(async () => {
  anvil = await startAnvil();
});
after(() => anvil?.stop());

test('strict parsing rejects what EIP-4361 does not allow', () => {
  const good = fixture.vectors[0].message;
  const parsed = parseLoginMessage(good);
  assert.equal(parsed.domain, 'app.example.com');
  assert.equal(boundPassport(parsed), 1n);
  const bad = [
    good.replace('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'),
    good.replace('Version: 1', 'Version: 2'),
    good.replace('Nonce: rustNonce12345', 'Nonce: abc'),
    good.replace('2025-01-01T00:00:00Z', '2025-01-01 00:00:00'),
    good.replace('Chain ID: 7777', 'Chain ID: 0x1e61'),
    good.replace('\n- did:trex', '\n-did:trex'),
    good.replaceAll('\n', '\r\n'),
    `${good}\n`,
    good.replace('Expiration Time', 'Expires'),
  ];
  for (const text of bad) assert.throws(() => parseLoginMessage(text), (e) => e instanceof SiweError && e.code === 'malformed', text);
  const unbound = parseLoginMessage(good.replace('did:trex:7777:1', 'did:trex:1628:1'));
  assert.throws(() => boundPassport(unbound), (e) => e.code === 'not_bound');
});

test('DID login verifies for the owner and linked wallets, with every refusal typed', async () => {
  const { publicClient, admin } = anvil;
  const walletClient = anvil.walletFor(admin);
  const { passport } = await deployIdentity(walletClient, publicClient, admin.address);
  const passports = passportClient({ publicClient, walletClient, address: passport });
  const id = await passports.createPassport();
  assert.equal(id, 1n);

  // Both vectors verify; viem writes its own vector byte for byte.
  for (const v of fixture.vectors) {
    const login = await verifyLogin({
      message: v.message,
      signature: v.signature,
      domain: v.domain,
      nonce: v.nonce,
      publicClient,
      passport,
      time: new Date(fixture.now),
    });
    assert.equal(login.address, admin.address);
    assert.equal(login.passportId, 1n);
    assert.equal(login.did, 'did:trex:7777:1');
    if (v.producer === 'viem') {
      const p = parseLoginMessage(v.message);
      assert.equal(createSiweMessage({ ...p, address: p.address }), v.message);
    }
  }

  const linked = privateKeyToAccount(generatePrivateKey());
  await passports.linkWallet(id, linked, BigInt(Math.floor(Date.now() / 1000) + 3600));
  const now = new Date();
  const make = (/** @type {import('viem').Address} */ address, extra = {}) =>
    createLoginMessage({
      domain: 'dapp.test',
      address,
      uri: 'https://dapp.test/',
      chainId: 7777,
      nonce: 'n0nce1234',
      passportId: id,
      issuedAt: now,
      expirationTime: new Date(now.getTime() + 300_000),
      ...extra,
    });
  const expected = { domain: 'dapp.test', nonce: 'n0nce1234', publicClient, passport, time: now };
  const message = make(linked.address);
  const signature = await linked.signMessage({ message });
  const ok = await verifyLogin({ message, signature, ...expected });
  assert.equal(ok.address, linked.address);
  assert.equal(ok.passportId, id);

  const refused = async (/** @type {any} */ args, /** @type {string} */ code) =>
    assert.rejects(verifyLogin({ message, signature, ...expected, ...args }), (e) => e instanceof SiweError && e.code === code);
  await refused({ message: message.replace('did:trex:7777:1', 'did:trex:7777:2') }, 'bad_signature');
  await refused({ domain: 'evil.test' }, 'domain_mismatch');
  await refused({ nonce: 'other1234' }, 'nonce_mismatch');
  await refused({ time: new Date(now.getTime() + 360_000) }, 'expired');

  const stranger = privateKeyToAccount(generatePrivateKey());
  const strangerMessage = make(stranger.address);
  await refused({ message: strangerMessage, signature: await stranger.signMessage({ message: strangerMessage }) }, 'not_passport_wallet');
  const early = make(linked.address, { notBefore: new Date(now.getTime() + 60_000) });
  await refused({ message: early, signature: await linked.signMessage({ message: early }) }, 'not_yet_valid');
  const otherChain = createLoginMessage({ domain: 'dapp.test', address: linked.address, uri: 'https://dapp.test/', chainId: 31628, nonce: 'n0nce1234', passportId: id, issuedAt: now });
  await refused({ message: otherChain, signature: await linked.signMessage({ message: otherChain }) }, 'chain_mismatch');
});
