// Integration test against a local anvil (chain id 7777): deploy behind ERC1967 proxies,
// passport + DID, EIP-712 wallet link, validator-signed mint, replay rejected, revoke.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BaseError,
  ContractFunctionRevertedError,
  domainSeparator,
  encodeAbiParameters,
  hashStruct,
  keccak256,
  parseAbiParameters,
  recoverTypedDataAddress,
  toHex,
  zeroHash,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  LINK_WALLET_TYPE,
  MINT_ATTESTATION_TYPE,
  badgeAbi,
  badgeClient,
  deployIdentity,
  linkWalletTypedData,
  mintAttestationTypedData,
  passportAbi,
  passportClient,
  signLinkWallet,
  signMintAttestation,
} from '../src/index.js';
import { startAnvil } from './helpers/anvil.js';

/** @type {Awaited<ReturnType<typeof startAnvil>>} */
let anvil;

before(async () => {
  anvil = await startAnvil();
});
after(() => anvil?.stop());

/** The custom error name of a viem contract revert. */
function revertName(err) {
  if (err instanceof BaseError) {
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) return revert.data?.errorName;
  }
  return undefined;
}

const LINK_PARAMS = parseAbiParameters('bytes32, uint256, address, uint256, uint256');
const MINT_PARAMS = parseAbiParameters('bytes32, uint256, uint256, address, bytes32, uint256');

test('typed data hash exactly as the contracts type strings prescribe', () => {
  assert.equal(
    LINK_WALLET_TYPE,
    'LinkWallet(uint256 passportId,address wallet,uint256 nonce,uint256 deadline)',
  );
  assert.equal(
    MINT_ATTESTATION_TYPE,
    'MintAttestation(uint256 classId,uint256 passportId,address recipient,bytes32 attestationId,uint256 deadline)',
  );
  const contract = '0xbbB216C52f5B9095391f463AdC438d65a8aC2242';
  const wallet = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
  const link = linkWalletTypedData(
    { chainId: 7777, verifyingContract: contract },
    { passportId: 3n, wallet, nonce: 1n, deadline: 1_700_000_000n },
  );
  assert.equal(
    hashStruct({ types: link.types, primaryType: 'LinkWallet', data: link.message }),
    keccak256(
      encodeAbiParameters(LINK_PARAMS, [keccak256(toHex(LINK_WALLET_TYPE)), 3n, wallet, 1n, 1_700_000_000n]),
    ),
  );
  const id = keccak256(toHex('x'));
  const mint = mintAttestationTypedData(
    { chainId: 1, verifyingContract: contract },
    { classId: 2n, passportId: 5n, recipient: wallet, attestationId: id, deadline: 99n },
  );
  assert.equal(
    hashStruct({ types: mint.types, primaryType: 'MintAttestation', data: mint.message }),
    keccak256(
      encodeAbiParameters(MINT_PARAMS, [keccak256(toHex(MINT_ATTESTATION_TYPE)), 2n, 5n, wallet, id, 99n]),
    ),
  );
});

test('passport, wallet link, validator-signed badge, replay rejected, revoke', async () => {
  const { publicClient, walletFor, admin: owner } = anvil;
  const second = privateKeyToAccount(generatePrivateKey());
  const validator = privateKeyToAccount(generatePrivateKey());
  const walletClient = walletFor(owner);

  const { passport, badge } = await deployIdentity(walletClient, publicClient, owner.address);
  const passports = passportClient({ publicClient, walletClient, address: passport });
  const badges = badgeClient({ publicClient, walletClient, address: badge });

  // The contracts' type hashes and domain separators are what the SDK signs over.
  const domainArgs = await passports.domainArgs();
  const badgeDomainArgs = await badges.domainArgs();
  const onChain = (address, abi, functionName) =>
    publicClient.readContract({ address, abi, functionName });
  assert.equal(await onChain(passport, passportAbi, 'LINK_WALLET_TYPEHASH'), keccak256(toHex(LINK_WALLET_TYPE)));
  assert.equal(await onChain(badge, badgeAbi, 'MINT_ATTESTATION_TYPEHASH'), keccak256(toHex(MINT_ATTESTATION_TYPE)));
  assert.equal(
    await onChain(passport, passportAbi, 'domainSeparator'),
    domainSeparator({ domain: linkWalletTypedData(domainArgs, { passportId: 0n, wallet: owner.address, nonce: 0n, deadline: 0n }).domain }),
  );
  assert.equal(
    await onChain(badge, badgeAbi, 'domainSeparator'),
    domainSeparator({ domain: { name: 'TRexBadge', version: '1', chainId: 7777n, verifyingContract: badge } }),
  );

  // Passport and DID; one passport per owner.
  const id = await passports.createPassport();
  assert.equal(id, 1n);
  assert.equal(await passports.did(id), 'did:trex:7777:1');
  assert.equal(await passports.passportOf(owner.address), 1n);
  await assert.rejects(passports.createPassport(), (e) => revertName(e) === 'AlreadyHasPassport');

  // Link a second wallet with its own EIP-712 signature.
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
  const nonce = await passports.nonce(second.address);
  assert.equal(nonce, 0n);
  const sig = await signLinkWallet(second, domainArgs, { passportId: id, nonce, deadline });
  const recovered = await recoverTypedDataAddress({
    ...linkWalletTypedData(domainArgs, { passportId: id, wallet: second.address, nonce, deadline }),
    signature: sig,
  });
  assert.equal(recovered, second.address);
  await passports.linkWalletWithSignature(id, second.address, deadline, sig);
  assert.deepEqual(await passports.linkedWallets(id), [second.address]);
  assert.equal(await passports.passportOfWallet(second.address), id);
  await assert.rejects(
    passports.linkWalletWithSignature(id, second.address, deadline, sig),
    (e) => revertName(e) === 'WalletAlreadyLinked',
  );

  // A third wallet through linkWallet, signed by a viem WalletClient; a wrong signer is refused.
  const thirdAccount = privateKeyToAccount(generatePrivateKey());
  const third = walletFor(thirdAccount);
  const forged = await signLinkWallet(validator, domainArgs, { passportId: id, nonce: 0n, deadline });
  await assert.rejects(
    passports.linkWalletWithSignature(id, thirdAccount.address, deadline, forged),
    (e) => revertName(e) === 'InvalidWalletSignature',
  );
  await passports.linkWallet(id, third, deadline);
  assert.deepEqual(await passports.linkedWallets(id), [second.address, thirdAccount.address]);

  // A badge class trusting a local validator key.
  const category = keccak256(toHex('general'));
  const classId = await badges.createClass(
    {
      uri: 'ipfs://badge',
      points: 250n,
      pointsCategory: category,
      validatorKind: keccak256(toHex('NFT')),
      paramsHash: zeroHash,
      supplyCap: 0n,
      startTime: 0n,
      endTime: 0n,
      expiry: 0n,
    },
    [validator.address],
  );
  assert.equal(classId, 1n);

  const attestation = await badges.attestation(classId, id, keccak256(toHex('attestation-1')), deadline);
  assert.equal(attestation.recipient, owner.address);

  // An attestation signed by an untrusted key is refused.
  const rogue = privateKeyToAccount(generatePrivateKey());
  await assert.rejects(
    badges.mint(attestation, await signMintAttestation(rogue, badgeDomainArgs, attestation)),
    (e) => revertName(e) === 'UntrustedValidator',
  );

  // Mint with the validator's signature: badge held, 250 points.
  const mintSig = await signMintAttestation(validator, badgeDomainArgs, attestation);
  await badges.mint(attestation, mintSig);
  assert.equal(await badges.balanceOf(owner.address, classId), 1n);
  assert.equal(await badges.isBadgeValid(classId, id), true);
  assert.equal(await passports.points(id, category), 250n);

  // The attestation cannot be used again.
  await assert.rejects(
    badges.mint(attestation, mintSig),
    (e) => revertName(e) === 'AttestationAlreadyUsed',
  );

  // Revoke: badge burnt, points back to 0.
  await badges.revoke(classId, id);
  assert.equal(await badges.balanceOf(owner.address, classId), 0n);
  assert.equal(await passports.points(id, category), 0n);
});
