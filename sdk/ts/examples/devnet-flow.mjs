// The identity acceptance flow against a running devnet (deploy/devnet.sh with trex-validator),
// through the TypeScript SDK: a passport for a fresh key, a linked EVM wallet and Solana key, a
// DemoNFT held for 3 blocks turned into an NFT badge, a Twitch-followers zkTLS badge from a proof
// signed by the devnet's test witness, a DID login, and every rejection the acceptance lists with
// the reason the caller sees. Exits non-zero on any unexpected result.
//
//   node sdk/ts/examples/devnet-flow.mjs
//
// Reads .devnet/devnet.json (or TREX_DEVNET_INFO); TREX_RPC, TREX_VALIDATOR_URL and
// TREX_FUNDER_KEY override what it holds.
import { readFileSync } from 'node:fs';
import { createPublicClient, createWalletClient, defineChain, http, keccak256, parseEther, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  createLoginMessage,
  generateNonce,
  identityClients,
  localSolanaSigner,
  passportClient,
  rejectionReason,
  signLinkWallet,
  solanaAddress,
  validatorClient,
  verifyLogin,
} from '../src/index.js';
import { signedProof, twitchFollowers } from '../test/helpers/reclaim.js';

// The devnet's test zkTLS witness (anvil account 8), trusted for Reclaim epoch 1 by the devnet
// validator only. A public test key: never a real Reclaim witness.
const TEST_WITNESS_KEY = '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97';
const HOLD_BLOCKS = 3n;

const root = new URL('../../../', import.meta.url);
let info = {};
try {
  info = JSON.parse(readFileSync(process.env.TREX_DEVNET_INFO ?? new URL('.devnet/devnet.json', root), 'utf8'));
} catch {
  /* environment variables only */
}
const need = (/** @type {string} */ name, /** @type {string | undefined} */ value) => {
  const v = process.env[name] ?? value;
  if (!v) throw new Error(`set ${name} or start the devnet (.devnet/devnet.json is missing it)`);
  return v;
};
const rpc = need('TREX_RPC', info.l2?.http);
const validatorUrl = need('TREX_VALIDATOR_URL', info.validatorUrl ?? info.validator?.url);
const funderKey = need('TREX_FUNDER_KEY', info.accounts?.[0]?.privateKey);

const probe = createPublicClient({ transport: http(rpc) });
const chain = defineChain({
  id: await probe.getChainId(),
  name: 'T-Rex devnet',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [rpc] } },
});
const publicClient = createPublicClient({ chain, transport: http(rpc), pollingInterval: 250 });
const walletFor = (/** @type {import('viem').Account} */ account) => createWalletClient({ chain, transport: http(rpc), account });
const funder = walletFor(privateKeyToAccount(/** @type {`0x${string}`} */ (funderKey)));
const fund = async (/** @type {`0x${string}`} */ to) =>
  publicClient.waitForTransactionReceipt({ hash: await funder.sendTransaction({ to, value: parseEther('1') }) });

/** Checks that `promise` is refused with `expected` and prints the reason the caller sees. */
async function expectRejected(/** @type {string} */ what, /** @type {Promise<unknown>} */ promise, /** @type {string} */ expected) {
  try {
    await promise;
  } catch (err) {
    const reason = rejectionReason(err);
    if (reason?.name !== expected) throw new Error(`${what}: refused with ${reason?.name ?? err}, expected ${expected}`);
    const detail = reason.kind === 'revert' ? `${reason.name}(${(reason.args ?? []).join(', ')})` : /** @type {Error} */ (err).message;
    console.log(`  rejected as expected — ${what}: ${detail}`);
    return;
  }
  throw new Error(`${what}: accepted, expected a rejection with ${expected}`);
}

const validator = validatorClient(validatorUrl);
const vinfo = await validator.info();
console.log(`chain ${chain.id}, validator ${vinfo.validator} at ${validatorUrl}`);

const owner = privateKeyToAccount(generatePrivateKey());
await fund(owner.address);
const walletClient = walletFor(owner);
const { passports, badges } = await identityClients({ publicClient, walletClient });

const id = await passports.createPassport();
console.log(`passport ${id}: ${await passports.did(id)}`);
const second = privateKeyToAccount(generatePrivateKey());
const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
await passports.linkWallet(id, second, deadline);
console.log(`linked EVM wallet ${second.address}`);
const solana = localSolanaSigner();
await passports.linkSolana(validator, id, solana);
console.log(`linked Solana key ${solanaAddress(solana.publicKey)}`);

// DID login, as a dApp server would check it.
const nonce = generateNonce();
const message = createLoginMessage({ domain: 'dapp.example', address: second.address, uri: 'https://dapp.example/', chainId: chain.id, nonce, passportId: id });
const login = await verifyLogin({ message, signature: await second.signMessage({ message }), domain: 'dapp.example', nonce, publicClient, passport: passports.address });
console.log(`DID login of ${login.address} verified for ${login.did}`);

// An ERC-721 held for HOLD_BLOCKS blocks.
const demo = JSON.parse(readFileSync(new URL('crates/bindings/artifacts/DemoNFT.json', root), 'utf8'));
const deployHash = await walletClient.deployContract({ abi: demo.abi, bytecode: demo.bytecode.object });
const nft = (await publicClient.waitForTransactionReceipt({ hash: deployHash })).contractAddress;
if (!nft) throw new Error('DemoNFT was not deployed');
const mintHash = await walletClient.writeContract({ address: nft, abi: demo.abi, functionName: 'mint', args: [owner.address] });
const minted = await publicClient.waitForTransactionReceipt({ hash: mintHash });
if (minted.status !== 'success') throw new Error('DemoNFT mint reverted');
console.log(`DemoNFT ${nft}: minted to the owner in block ${minted.blockNumber}, waiting ${HOLD_BLOCKS} blocks`);
while ((await publicClient.getBlockNumber()) < minted.blockNumber + HOLD_BLOCKS + 1n) await new Promise((r) => setTimeout(r, 250));

const contract = nft.toLowerCase();
const params = (/** @type {bigint} */ points, /** @type {string} */ category, /** @type {string} */ uri) => ({
  uri, points, pointsCategory: keccak256(toHex(category)), supplyCap: 0n, startTime: 0n, endTime: 0n, expiry: 0n,
});
const nftClass = await badges.createClassWithConditions(validator, params(100n, 'holders', 'ipfs://demo-nft-holder'), {
  version: 1, kind: 'NFT', rule: { type: 'all', rules: [
    { type: 'nft_balance', contract, standard: 'erc721', min: '1' },
    { type: 'nft_holding_duration', contract, standard: 'erc721', minBlocks: Number(HOLD_BLOCKS) }] },
});
console.log(`NFT class ${nftClass.classId} (paramsHash ${nftClass.paramsHash} agreed by SDK and validator)`);
const nftMint = await badges.requestAndMint(validator, nftClass.classId, id);
console.log(`  validator: ${nftMint.signed.reasons.join('; ')}`);
console.log(`  NFT badge minted: ${await passports.points(id, keccak256(toHex('holders')))} holder points`);

// A zkTLS badge: more than 10,000 Twitch followers, proven for the passport's owner.
const zkClass = await badges.createClassWithConditions(validator, params(500n, 'creators', 'ipfs://twitch-10k'), {
  version: 1, kind: 'ZKTLS', rule: { type: 'followers', platform: 'twitch', min: 10001 },
});
const witness = privateKeyToAccount(TEST_WITNESS_KEY);
const now = () => Math.floor(Date.now() / 1000);
const session = () => keccak256(toHex(`${Math.random()}`)).slice(2, 34);
const proof = await signedProof(witness, twitchFollowers(owner.address, '12,345', session()), owner.address, now(), 1);
const zkMint = await badges.requestAndMint(validator, zkClass.classId, id, { zktlsProofs: [proof] });
console.log(`ZKTLS class ${zkClass.classId}: badge minted (${zkMint.signed.reasons.join('; ')})`);

const view = await passports.passport(id);
for (const p of view.points) console.log(`  points ${p.category}: badge ${p.badge} + task ${p.task}`);
console.log(`passport ${view.did}: owner ${view.owner}, wallets ${view.wallets.join(', ')}, ${view.solana.length} Solana key(s), ${view.badges.length} badge(s), ${view.totalPoints} points in total`);
if (view.totalPoints !== 600n || view.badges.length !== 2) throw new Error('expected 2 badges and 600 points');

// The proof rejections go to a second class with the same conditions: for the first one the
// validator refuses before it looks at proofs, because the passport already holds its badge.
const retryClass = await badges.createClassWithConditions(validator, params(500n, 'creators', 'ipfs://twitch-10k-again'), {
  version: 1, kind: 'ZKTLS', rule: { type: 'followers', platform: 'twitch', min: 10001 },
});
console.log(`rejections (proofs against class ${retryClass.classId}):`);
await expectRejected('replayed zkTLS proof', validator.validate(retryClass.classId, id, { zktlsProofs: [proof] }), 'proof_replayed');
const claim = twitchFollowers(owner.address, '12,345', session());
const rogue = await signedProof(privateKeyToAccount(generatePrivateKey()), claim, owner.address, now(), 1);
await expectRejected('proof by a wrong witness', validator.validate(retryClass.classId, id, { zktlsProofs: [rogue] }), 'invalid_proof');
const altered = await signedProof(witness, claim, owner.address, now(), 1);
altered.claimData.context = altered.claimData.context.replace('12,345', '99,999');
await expectRejected('proof with altered parameters', validator.validate(retryClass.classId, id, { zktlsProofs: [altered] }), 'invalid_proof');
await expectRejected('reused attestation', badges.mintSigned(zkMint.signed), 'AttestationAlreadyUsed');
await expectRejected('badge transfer', badges.sendCall('safeTransferFrom', [owner.address, second.address, nftClass.classId, 1n, '0x']), 'BadgeLocked');
await expectRejected('second passport for one owner', passports.createPassport(), 'AlreadyHasPassport');
const forged = await signLinkWallet(privateKeyToAccount(generatePrivateKey()), await passports.domainArgs(), { passportId: id, nonce: 0n, deadline });
await expectRejected('forged wallet-link signature', passports.linkWalletWithSignature(id, privateKeyToAccount(generatePrivateKey()).address, deadline, forged), 'InvalidWalletSignature');
const other = privateKeyToAccount(generatePrivateKey());
await fund(other.address);
const otherPassports = passportClient({ publicClient, walletClient: walletFor(other), address: passports.address });
const otherId = await otherPassports.createPassport();
await expectRejected('wallet linked to a second passport', otherPassports.linkWallet(otherId, second, deadline), 'WalletAlreadyLinked');
console.log('all checks passed');
