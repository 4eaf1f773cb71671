// The validator client against an in-test server speaking the documented API, wired to a real
// anvil deployment; and every rejection the acceptance lists, with the reason the caller sees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, parseEther, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  ValidatorApiError,
  badgeClient,
  deployIdentity,
  identityAddresses,
  localSolanaSigner,
  paramsHash,
  passportClient,
  rejectionReason,
  signLinkWallet,
  signMintAttestation,
  solanaAddressBytes,
  solanaAddress,
  validatorClient,
} from '../src/index.js';
import { startAnvil } from './helpers/anvil.js';
import { startMockValidator } from './helpers/mock-validator.js';
import { signedProof, twitchFollowers } from './helpers/reclaim.js';

/** @type {Awaited<ReturnType<typeof startAnvil>>} */
let anvil;
before(async () => {
  anvil = await startAnvil();
});
after(() => anvil?.stop());

const reason = (/** @type {unknown} */ e) => rejectionReason(e)?.name;
const params = (/** @type {bigint} */ points, /** @type {`0x${string}`} */ category) => ({
  uri: 'ipfs://badge', points, pointsCategory: category, supplyCap: 0n, startTime: 0n, endTime: 0n, expiry: 0n,
});

test('known predeploys per chain id', () => {
  assert.deepEqual(identityAddresses(31628), identityAddresses(1962));
  assert.equal(identityAddresses(1628)?.badge, '0x6F52cCCfAb0712Db45C31863B262e2683097bb5c');
  assert.equal(identityAddresses(7777), undefined);
});

test('badge and link flows through the validator API, and every rejection with its reason', async () => {
  const { publicClient, admin } = anvil;
  const walletClient = anvil.walletFor(admin);
  const { passport, badge } = await deployIdentity(walletClient, publicClient, admin.address);
  const passports = passportClient({ publicClient, walletClient, address: passport });
  const badges = badgeClient({ publicClient, walletClient, address: badge });
  const mock = await startMockValidator({ publicClient, passport, badge });
  try {
    const validator = validatorClient(mock.url);
    const info = await validator.info();
    assert.equal(info.validator, mock.signer.address);
    await passports.sendCall('grantRole', [keccak256(toHex('VALIDATOR_ROLE')), info.validator]);
    const id = await passports.createPassport();
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);

    // Wallet, Solana and Web2 links.
    const second = privateKeyToAccount(generatePrivateKey());
    await passports.linkWallet(id, second, deadline);
    const solana = localSolanaSigner();
    await passports.linkSolana(validator, id, solana);
    const key = solanaAddressBytes(solanaAddress(solana.publicKey));
    assert.deepEqual(await passports.linkedSolana(id), [key]);
    assert.equal(await passports.passportOfSolana(key), id);
    const web2Proof = await signedProof(privateKeyToAccount(generatePrivateKey()), twitchFollowers(admin.address, '1', 'web2'), admin.address, 1, 1);
    await passports.linkWeb2(validator, id, 'Twitch', web2Proof);

    // An NFT class with the agreed paramsHash, registered; typed refusals; mint.
    const nft = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
    const conditions = { version: 1, kind: 'NFT', rule: { type: 'all', rules: [
      { type: 'nft_balance', contract: nft, standard: 'erc721', min: '1' },
      { type: 'nft_holding_duration', contract: nft, standard: 'erc721', minBlocks: 3 }] } };
    const category = keccak256(toHex('general'));
    const { classId, paramsHash: agreed } = await badges.createClassWithConditions(validator, params(100n, category), conditions);
    assert.equal(agreed, paramsHash(conditions));
    const stored = await badges.getClass(classId);
    assert.equal(stored.paramsHash, agreed);
    assert.equal(stored.validatorKind, keccak256(toHex('NFT')));
    assert.equal(await badges.isTrustedValidator(classId, info.validator), true);
    assert.deepEqual((await validator.conditions(classId)).conditions, conditions);
    await assert.rejects(validator.validate(classId, id, { eventCode: 'nope' }), (e) =>
      e instanceof ValidatorApiError && e.status === 422 && e.code === 'condition_not_met' &&
      e.reasons[0] === 'event code is not one of 1 accepted codes');
    await assert.rejects(validator.validate(99n, id), (e) => reason(e) === 'conditions_not_registered');
    const { signed } = await badges.requestAndMint(validator, classId, id);
    assert.equal(signed.attestation.recipient, admin.address);
    await assert.rejects(badges.mintSigned(signed), (e) => reason(e) === 'AttestationAlreadyUsed');

    // A ZKTLS class; the proof is consumed once.
    const zk = await badges.createClassWithConditions(validator, params(500n, category),
      { version: 1, kind: 'ZKTLS', rule: { type: 'followers', platform: 'twitch', min: 10001 } });
    const proof = await signedProof(privateKeyToAccount(generatePrivateKey()), twitchFollowers(admin.address, '12,345', 's1'), admin.address, Math.floor(Date.now() / 1000), 1);
    await badges.requestAndMint(validator, zk.classId, id, { zktlsProofs: [proof] });
    await assert.rejects(validator.validate(zk.classId, id, { zktlsProofs: [proof] }), (e) => reason(e) === 'proof_replayed');

    const view = await passports.passport(id);
    assert.equal(view.owner, admin.address);
    assert.deepEqual(view.wallets, [second.address]);
    assert.deepEqual(view.solana, [key]);
    assert.equal(view.web2[0].platform, keccak256(toHex('twitch')));
    assert.deepEqual(view.badges.map((b) => b.classId), [classId, zk.classId]);
    assert.ok(view.badges.every((b) => b.valid && b.validator === info.validator));
    assert.equal(view.totalPoints, 600n);

    // Rejections: second passport, wallet to a second passport, forged link, expired and reused
    // attestations, badge transfer.
    await assert.rejects(passports.createPassport(), (e) => reason(e) === 'AlreadyHasPassport');
    const other = privateKeyToAccount(generatePrivateKey());
    await walletClient.sendTransaction({ account: admin, chain: anvil.chain, to: other.address, value: parseEther('1') });
    const otherPassports = passportClient({ publicClient, walletClient: anvil.walletFor(other), address: passport });
    const otherId = await otherPassports.createPassport();
    await assert.rejects(otherPassports.linkWallet(otherId, second, deadline), (e) => reason(e) === 'WalletAlreadyLinked');
    const third = privateKeyToAccount(generatePrivateKey());
    const forged = await signLinkWallet(other, await passports.domainArgs(), { passportId: id, nonce: 0n, deadline });
    await assert.rejects(passports.linkWalletWithSignature(id, third.address, deadline, forged), (e) => reason(e) === 'InvalidWalletSignature');
    const expired = await badges.attestation(zk.classId, otherId, keccak256(toHex('expired')), 1n);
    const expiredSig = await signMintAttestation(mock.signer, await badges.domainArgs(), expired);
    await assert.rejects(badges.mint(expired, expiredSig), (e) => reason(e) === 'AttestationExpired');
    await assert.rejects(
      badges.sendCall('safeTransferFrom', [admin.address, second.address, classId, 1n, '0x']),
      (e) => reason(e) === 'BadgeLocked',
    );
    // A passport error bubbling out of a badge call decodes too.
    const ghost = { ...expired, passportId: 999n, deadline };
    await assert.rejects(badges.mint(ghost, expiredSig), (e) => reason(e) === 'PassportNotFound');

    await badges.revoke(classId, id);
    assert.deepEqual((await badges.badgesOf(id)).map((b) => b.classId), [zk.classId]);
    assert.equal(await passports.points(id, category), 500n);

    // Error bodies that are not the API's are still typed.
    await assert.rejects(validatorClient(`${mock.url}broken/`).info(), (e) =>
      e instanceof ValidatorApiError && e.code === 'http_502' && e.detail === 'upstream down');
    await assert.rejects(validator.conditionsHash({ version: 2 }), (e) => reason(e) === 'invalid_conditions');
  } finally {
    mock.stop();
  }
});

test('paramsHash vectors shared with the Rust SDK', async () => {
  const { readFileSync } = await import('node:fs');
  const { canonicalJson } = await import('../src/conditions.js');
  const url = new URL('../../../crates/sdk/testdata/conditions-vectors.json', import.meta.url);
  for (const v of JSON.parse(readFileSync(url, 'utf8')).vectors) {
    assert.equal(canonicalJson(v.conditions), v.canonical);
    assert.equal(paramsHash(v.conditions), v.paramsHash);
  }
});
