// @ts-check
/**
 * @trex-chain/sdk: viem clients for the T-Rex Passport and Badge contracts
 * (contracts/src/identity). ABIs and bytecode come from the committed Foundry artifacts in
 * crates/bindings/artifacts, the same files the Rust SDK (crates/sdk) is built from.
 */
import { BaseError, ContractFunctionRevertedError, encodeDeployData, encodeFunctionData, parseEventLogs } from 'viem';
import { badgeAbi, bytecode, erc1967ProxyAbi, identityErrorsAbi, passportAbi } from './artifacts.js';
import { paramsHash, validatorKind } from './conditions.js';
import { identityAddresses } from './networks.js';
import { SiweError } from './siwe.js';
import { signSolanaLink } from './solana.js';
import { ValidatorApiError } from './validator.js';

export { badgeAbi, bytecode, erc1967ProxyAbi, passportAbi } from './artifacts.js';
export { canonicalJson, paramsHash, validatorKind } from './conditions.js';
export { DEVNET_CHAIN_ID, MAINNET_CHAIN_ID, TESTNET_CHAIN_ID, identityAddresses } from './networks.js';
export {
  SiweError,
  boundPassport,
  createLoginMessage,
  generateNonce,
  parseLoginMessage,
  passportDid,
  verifyLogin,
} from './siwe.js';
export {
  localSolanaSigner,
  signSolanaLink,
  solanaAddress,
  solanaAddressBytes,
  solanaAddressFromBytes,
  solanaLinkMessage,
} from './solana.js';
export { ValidatorApiError, validatorClient } from './validator.js';

/** @typedef {`0x${string}`} Hex */
/** @typedef {import('viem').Address} Address */
/** @typedef {import('viem').PublicClient} PublicClient */
/** @typedef {import('viem').WalletClient} WalletClient */
/** @typedef {import('viem').Account} Account */
/** @typedef {ReturnType<typeof import('./validator.js').validatorClient>} ValidatorClient */

// --- EIP-712 -----------------------------------------------------------------------------------

/**
 * `LinkWallet(uint256 passportId,address wallet,uint256 nonce,uint256 deadline)` as in
 * TRexPassport.LINK_WALLET_TYPEHASH: signed by the wallet being linked.
 */
export const LINK_WALLET_TYPE =
  'LinkWallet(uint256 passportId,address wallet,uint256 nonce,uint256 deadline)';
/**
 * `MintAttestation(...)` as in TRexBadge.MINT_ATTESTATION_TYPEHASH: signed by a validator the
 * badge class trusts; `recipient` is the passport's owner.
 */
export const MINT_ATTESTATION_TYPE =
  'MintAttestation(uint256 classId,uint256 passportId,address recipient,bytes32 attestationId,uint256 deadline)';

/** viem `types` for the two structs (field order and types exactly as the type strings). */
export const linkWalletTypes = /** @type {const} */ ({
  LinkWallet: [
    { name: 'passportId', type: 'uint256' },
    { name: 'wallet', type: 'address' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
});
export const mintAttestationTypes = /** @type {const} */ ({
  MintAttestation: [
    { name: 'classId', type: 'uint256' },
    { name: 'passportId', type: 'uint256' },
    { name: 'recipient', type: 'address' },
    { name: 'attestationId', type: 'bytes32' },
    { name: 'deadline', type: 'uint256' },
  ],
});

/** `LinkSolana(...)` as in TRexPassport.LINK_SOLANA_TYPEHASH: signed by a VALIDATOR_ROLE holder. */
export const LINK_SOLANA_TYPE =
  'LinkSolana(uint256 passportId,bytes32 solanaAddress,bytes32 attestationId,uint256 deadline)';
/** `LinkWeb2(...)` as in TRexPassport.LINK_WEB2_TYPEHASH: signed by a VALIDATOR_ROLE holder. */
export const LINK_WEB2_TYPE =
  'LinkWeb2(uint256 passportId,bytes32 platform,bytes32 handleHash,bytes32 attestationId,uint256 deadline)';
export const linkSolanaTypes = /** @type {const} */ ({
  LinkSolana: [
    { name: 'passportId', type: 'uint256' },
    { name: 'solanaAddress', type: 'bytes32' },
    { name: 'attestationId', type: 'bytes32' },
    { name: 'deadline', type: 'uint256' },
  ],
});
export const linkWeb2Types = /** @type {const} */ ({
  LinkWeb2: [
    { name: 'passportId', type: 'uint256' },
    { name: 'platform', type: 'bytes32' },
    { name: 'handleHash', type: 'bytes32' },
    { name: 'attestationId', type: 'bytes32' },
    { name: 'deadline', type: 'uint256' },
  ],
});

/**
 * @typedef {object} DomainArgs
 * @property {number | bigint} chainId
 * @property {Address} verifyingContract the proxy's address
 */

/** EIP-712 domain of a TRexPassport proxy (name "TRexPassport", version "1"). @param {DomainArgs} a */
export function passportDomain({ chainId, verifyingContract }) {
  return { name: 'TRexPassport', version: '1', chainId: BigInt(chainId), verifyingContract };
}

/** EIP-712 domain of a TRexBadge proxy (name "TRexBadge", version "1"). @param {DomainArgs} a */
export function badgeDomain({ chainId, verifyingContract }) {
  return { name: 'TRexBadge', version: '1', chainId: BigInt(chainId), verifyingContract };
}

/**
 * Typed data (for viem's signTypedData / hashTypedData) of a LinkWallet authorisation.
 * @param {DomainArgs} domainArgs the passport proxy and its chain
 * @param {{passportId: bigint, wallet: Address, nonce: bigint, deadline: bigint}} message
 */
export function linkWalletTypedData(domainArgs, { passportId, wallet, nonce, deadline }) {
  return {
    domain: passportDomain(domainArgs),
    types: linkWalletTypes,
    primaryType: /** @type {const} */ ('LinkWallet'),
    message: {
      passportId: BigInt(passportId),
      wallet,
      nonce: BigInt(nonce),
      deadline: BigInt(deadline),
    },
  };
}

/**
 * @typedef {object} MintAttestation
 * @property {bigint} classId
 * @property {bigint} passportId
 * @property {Address} recipient the passport's owner
 * @property {Hex} attestationId 32 bytes, used once
 * @property {bigint} deadline unix seconds
 */

/**
 * Typed data of a MintAttestation.
 * @param {DomainArgs} domainArgs the badge proxy and its chain
 * @param {MintAttestation} message
 */
export function mintAttestationTypedData(
  domainArgs,
  { classId, passportId, recipient, attestationId, deadline },
) {
  return {
    domain: badgeDomain(domainArgs),
    types: mintAttestationTypes,
    primaryType: /** @type {const} */ ('MintAttestation'),
    message: {
      classId: BigInt(classId),
      passportId: BigInt(passportId),
      recipient,
      attestationId,
      deadline: BigInt(deadline),
    },
  };
}

/**
 * A signer: a viem WalletClient with an account, or a local Account (e.g. privateKeyToAccount).
 * @typedef {WalletClient | Account} Signer
 */

/**
 * @param {Signer} signer
 * @param {any} typedData
 * @returns {Promise<Hex>} 65-byte r ‖ s ‖ v signature (v = 27/28), as the contracts accept
 */
async function signTyped(signer, typedData) {
  if ('signTypedData' in signer && typeof signer.signTypedData === 'function') {
    if ('type' in signer && signer.type === 'local') return signer.signTypedData(typedData);
    // WalletClient: uses its account (local or JSON-RPC).
    const wc = /** @type {WalletClient} */ (signer);
    if (!wc.account) throw new Error('walletClient has no account');
    return wc.signTypedData({ account: wc.account, ...typedData });
  }
  throw new Error('signer must be a viem WalletClient with an account or a local Account');
}

/** @param {Signer} signer */
function signerAddress(signer) {
  if ('address' in signer && typeof signer.address === 'string') return signer.address;
  const wc = /** @type {WalletClient} */ (signer);
  if (!wc.account) throw new Error('walletClient has no account');
  return wc.account.address;
}

/**
 * Signs a LinkWallet authorisation with the key of the wallet being linked (the wallet is the
 * signer's address).
 * @param {Signer} signer
 * @param {DomainArgs} domainArgs
 * @param {{passportId: bigint, nonce: bigint, deadline: bigint}} args
 */
export function signLinkWallet(signer, domainArgs, { passportId, nonce, deadline }) {
  const wallet = signerAddress(signer);
  return signTyped(signer, linkWalletTypedData(domainArgs, { passportId, wallet, nonce, deadline }));
}

/**
 * Typed data of a validator's LinkSolana attestation (domain: the passport proxy).
 * @param {DomainArgs} domainArgs
 * @param {{passportId: bigint, solanaAddress: Hex, attestationId: Hex, deadline: bigint}} message
 */
export function linkSolanaTypedData(domainArgs, message) {
  return {
    domain: passportDomain(domainArgs),
    types: linkSolanaTypes,
    primaryType: /** @type {const} */ ('LinkSolana'),
    message: { ...message, passportId: BigInt(message.passportId), deadline: BigInt(message.deadline) },
  };
}

/**
 * Typed data of a validator's LinkWeb2 attestation (domain: the passport proxy).
 * @param {DomainArgs} domainArgs
 * @param {{passportId: bigint, platform: Hex, handleHash: Hex, attestationId: Hex, deadline: bigint}} message
 */
export function linkWeb2TypedData(domainArgs, message) {
  return {
    domain: passportDomain(domainArgs),
    types: linkWeb2Types,
    primaryType: /** @type {const} */ ('LinkWeb2'),
    message: { ...message, passportId: BigInt(message.passportId), deadline: BigInt(message.deadline) },
  };
}

/**
 * Signs a LinkSolana attestation with a validator's key.
 * @param {Signer} signer @param {DomainArgs} domainArgs @param {Parameters<typeof linkSolanaTypedData>[1]} message
 */
export function signLinkSolana(signer, domainArgs, message) {
  return signTyped(signer, linkSolanaTypedData(domainArgs, message));
}

/**
 * Signs a LinkWeb2 attestation with a validator's key.
 * @param {Signer} signer @param {DomainArgs} domainArgs @param {Parameters<typeof linkWeb2TypedData>[1]} message
 */
export function signLinkWeb2(signer, domainArgs, message) {
  return signTyped(signer, linkWeb2TypedData(domainArgs, message));
}

/**
 * Signs a MintAttestation with a validator's key.
 * @param {Signer} signer
 * @param {DomainArgs} domainArgs
 * @param {MintAttestation} attestation
 */
export function signMintAttestation(signer, domainArgs, attestation) {
  return signTyped(signer, mintAttestationTypedData(domainArgs, attestation));
}

// --- transactions ------------------------------------------------------------------------------

/**
 * Simulates the call first (so a revert is thrown with the contract's decoded custom error and
 * nothing is sent), then sends it and waits for a successful receipt.
 * @param {PublicClient} publicClient
 * @param {WalletClient} walletClient
 * @param {{address: Address, abi: any, functionName: string, args?: readonly unknown[]}} call
 */
async function transact(publicClient, walletClient, call) {
  if (!walletClient) throw new Error('a walletClient is needed to send transactions');
  const account = walletClient.account;
  if (!account) throw new Error('walletClient has no account');
  const { request } = await publicClient.simulateContract({ ...call, account });
  const hash = await walletClient.writeContract(/** @type {any} */ (request));
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return receipt;
}

/**
 * @param {any} abi
 * @param {import('viem').TransactionReceipt} receipt
 * @param {string} eventName
 * @param {Address} address
 */
function eventArgs(abi, receipt, eventName, address) {
  const logs = parseEventLogs({ abi, logs: receipt.logs, eventName });
  const log = logs.find((l) => l.address.toLowerCase() === address.toLowerCase());
  if (!log) throw new Error(`${eventName} not found in receipt ${receipt.transactionHash}`);
  return /** @type {any} */ (log).args;
}

/**
 * @param {WalletClient} walletClient
 * @param {PublicClient} publicClient
 * @param {Hex} data
 * @returns {Promise<Address>}
 */
async function deploy(walletClient, publicClient, data) {
  if (!walletClient.account) throw new Error('walletClient has no account');
  const hash = await walletClient.sendTransaction({
    account: walletClient.account,
    chain: walletClient.chain,
    data,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress) {
    throw new Error(`deployment ${hash} failed`);
  }
  return receipt.contractAddress;
}

/**
 * Deploys TRexPassport and TRexBadge implementations behind ERC1967 proxies initialised with
 * `admin` (admin, pauser and upgrader roles) and makes the badge proxy the passport's badge
 * contract (the walletClient's account must be `admin` for that step). For devnets and tests;
 * production chains use the genesis predeploys or the forge deploy script.
 * @param {WalletClient} walletClient
 * @param {PublicClient} publicClient
 * @param {Address} admin
 * @returns {Promise<{passport: Address, badge: Address}>}
 */
export async function deployIdentity(walletClient, publicClient, admin) {
  const proxy = (/** @type {Address} */ implementation, /** @type {Hex} */ init) =>
    deploy(
      walletClient,
      publicClient,
      encodeDeployData({
        abi: erc1967ProxyAbi,
        bytecode: bytecode.ERC1967Proxy,
        args: [implementation, init],
      }),
    );
  const passportImpl = await deploy(walletClient, publicClient, bytecode.TRexPassport);
  const passport = await proxy(
    passportImpl,
    encodeFunctionData({ abi: passportAbi, functionName: 'initialize', args: [admin] }),
  );
  const badgeImpl = await deploy(walletClient, publicClient, bytecode.TRexBadge);
  const badge = await proxy(
    badgeImpl,
    encodeFunctionData({ abi: badgeAbi, functionName: 'initialize', args: [admin, passport] }),
  );
  await transact(publicClient, walletClient, {
    address: passport,
    abi: passportAbi,
    functionName: 'setBadgeContract',
    args: [badge],
  });
  return { passport, badge };
}

// --- clients -----------------------------------------------------------------------------------

/**
 * @typedef {object} ClientArgs
 * @property {PublicClient} publicClient reads, simulation and receipts
 * @property {WalletClient} [walletClient] sends transactions from its account
 * @property {Address} address the proxy's address
 */

/**
 * Reads, simulated-then-sent writes and EIP-712 domain args for one contract; both clients are
 * built on it.
 * @param {ClientArgs} args @param {readonly unknown[]} abi
 */
function contractAccess({ publicClient, walletClient, address }, abi) {
  const own = new Set(abi.filter((/** @type {any} */ i) => i.type === 'error').map((/** @type {any} */ i) => i.name));
  const writeAbi = [...abi, ...identityErrorsAbi.filter((i) => !own.has(i.name))];
  return {
    /** @param {string} functionName @param {readonly unknown[]} [args] */
    read: (functionName, args = []) =>
      /** @type {Promise<any>} */ (publicClient.readContract({ address, abi, functionName, args })),
    /** @param {string} functionName @param {readonly unknown[]} [args] */
    write: (functionName, args = []) =>
      transact(publicClient, /** @type {WalletClient} */ (walletClient), {
        address,
        abi: writeAbi,
        functionName,
        args,
      }),
    /** EIP-712 domain args on the publicClient's chain. @returns {Promise<DomainArgs>} */
    domainArgs: async () => ({ chainId: await publicClient.getChainId(), verifyingContract: address }),
  };
}

/**
 * Client of a TRexPassport proxy. Reads need only the publicClient; transactions are sent from
 * the walletClient's account after a simulation (reverts come back as viem
 * ContractFunctionRevertedError with the custom error's name in `data.errorName`).
 * @param {ClientArgs} args
 */
export function passportClient({ publicClient, walletClient, address }) {
  const { read, write, domainArgs } = contractAccess({ publicClient, walletClient, address }, passportAbi);

  const client = {
    address,
    domainArgs,
    /** `did:trex:<chainId>:<passportId>`; reverts PassportNotFound for an unknown passport. */
    did: (/** @type {bigint} */ passportId) => /** @type {Promise<string>} */ (read('did', [passportId])),
    /** Owner of a passport. */
    ownerOf: (/** @type {bigint} */ passportId) =>
      /** @type {Promise<Address>} */ (read('ownerOf', [passportId])),
    /** The passport `owner` owns, 0n when none. */
    passportOf: (/** @type {Address} */ owner) => /** @type {Promise<bigint>} */ (read('passportOf', [owner])),
    /** The passport `wallet` belongs to (as owner or linked wallet), 0n when none. */
    passportOfWallet: (/** @type {Address} */ wallet) =>
      /** @type {Promise<bigint>} */ (read('passportOfWallet', [wallet])),
    /** The nonce the next LinkWallet signature of `wallet` must carry. */
    nonce: (/** @type {Address} */ wallet) => /** @type {Promise<bigint>} */ (read('nonces', [wallet])),
    /** Linked EVM wallets of a passport (not including its owner). */
    linkedWallets: (/** @type {bigint} */ passportId) =>
      /** @type {Promise<Address[]>} */ (read('linkedWallets', [passportId])),
    /** Badge points plus task points of `category` (bytes32). */
    points: (/** @type {bigint} */ passportId, /** @type {Hex} */ category) =>
      /** @type {Promise<bigint>} */ (read('points', [passportId, category])),

    /** Creates the sender's passport; returns its id (from PassportCreated). */
    async createPassport() {
      const receipt = await write('createPassport');
      return /** @type {bigint} */ (eventArgs(passportAbi, receipt, 'PassportCreated', address).passportId);
    },
    /**
     * Links the wallet of `walletSigner` to `passportId` (owned by the walletClient's account):
     * reads the wallet's nonce, has `walletSigner` sign LinkWallet, sends linkWallet.
     * @param {bigint} passportId
     * @param {Signer} walletSigner
     * @param {bigint} deadline unix seconds
     * @returns {Promise<Hex>} transaction hash
     */
    async linkWallet(passportId, walletSigner, deadline) {
      const wallet = signerAddress(walletSigner);
      const nonce = await client.nonce(wallet);
      const signature = await signLinkWallet(walletSigner, await client.domainArgs(), {
        passportId,
        nonce,
        deadline,
      });
      return client.linkWalletWithSignature(passportId, wallet, deadline, signature);
    },
    /**
     * Sends linkWallet with a signature made elsewhere (e.g. by a browser wallet).
     * @param {bigint} passportId @param {Address} wallet @param {bigint} deadline @param {Hex} signature
     * @returns {Promise<Hex>}
     */
    async linkWalletWithSignature(passportId, wallet, deadline, signature) {
      const receipt = await write('linkWallet', [passportId, wallet, deadline, signature]);
      return receipt.transactionHash;
    },
    /** Linked Solana addresses (bytes32; base58 with solanaAddressFromBytes). */
    linkedSolana: (/** @type {bigint} */ passportId) =>
      /** @type {Promise<Hex[]>} */ (read('linkedSolana', [passportId])),
    /** The passport a Solana address (bytes32) is linked to, 0n when none. */
    passportOfSolana: (/** @type {Hex} */ solanaAddress) =>
      /** @type {Promise<bigint>} */ (read('passportOfSolana', [solanaAddress])),
    /** keccak256 of the handle linked on `platform` (keccak256 of its lower-case name). */
    web2Account: (/** @type {bigint} */ passportId, /** @type {Hex} */ platform) =>
      /** @type {Promise<Hex>} */ (read('web2Account', [passportId, platform])),
    /** Badge and task points of `category`, apart. */
    async categoryPoints(/** @type {bigint} */ passportId, /** @type {Hex} */ category) {
      const [badge, task] = await Promise.all([
        /** @type {Promise<bigint>} */ (read('badgePoints', [passportId, category])),
        /** @type {Promise<bigint>} */ (read('taskPoints', [passportId, category])),
      ]);
      return { category, badge, task, total: badge + task };
    },
    /**
     * Reads a whole passport: owner, DID, linked wallets, Solana addresses, Web2 accounts, points
     * per category (the categories of its PointsCredited logs) and the badges it holds on the
     * passport's badge contract.
     * @param {bigint} passportId
     * @param {{fromBlock?: bigint}} [options] where log searches start (default genesis)
     */
    async passport(passportId, { fromBlock = 0n } = {}) {
      const [owner, did, wallets, solana, badge] = await Promise.all([
        client.ownerOf(passportId),
        client.did(passportId),
        client.linkedWallets(passportId),
        client.linkedSolana(passportId),
        /** @type {Promise<Address>} */ (read('badgeContract')),
      ]);
      const events = async (/** @type {string} */ eventName) =>
        /** @type {any[]} */ (
          await publicClient.getContractEvents({ address, abi: passportAbi, eventName, args: { passportId }, fromBlock })
        );
      const categories = [...new Set((await events('PointsCredited')).map((l) => l.args.category))].sort();
      const points = await Promise.all(categories.map((c) => client.categoryPoints(passportId, c)));
      const platforms = [...new Set((await events('Web2Linked')).map((l) => l.args.platform))].sort();
      const web2 = (
        await Promise.all(
          platforms.map(async (platform) => ({ platform, handleHash: await client.web2Account(passportId, platform) })),
        )
      ).filter((a) => BigInt(a.handleHash) !== 0n);
      const badges = BigInt(badge) === 0n
        ? []
        : await badgeClient({ publicClient, address: badge }).badgesOf(passportId, { fromBlock });
      const totalPoints = points.reduce((sum, p) => sum + p.total, 0n);
      return { id: passportId, owner, did, wallets, solana, web2, points, totalPoints, badges };
    },
    /**
     * Links the Solana key of `solanaSigner`: it signs solanaLinkMessage, the validator checks
     * it and attests, the attestation is sent with linkSolana. Returns the transaction hash.
     * @param {ValidatorClient} validator @param {bigint} passportId
     * @param {import('./solana.js').SolanaSigner} solanaSigner
     */
    async linkSolana(validator, passportId, solanaSigner) {
      const chainId = await publicClient.getChainId();
      const proof = await signSolanaLink(solanaSigner, chainId, passportId);
      return client.linkSolanaSigned(await validator.linkSolana(passportId, proof.address, proof.signature));
    },
    /**
     * Sends linkSolana with a validator's attestation.
     * @param {import('./validator.js').SignedSolanaLink} signed
     * @returns {Promise<Hex>}
     */
    async linkSolanaSigned({ attestation: a, signature }) {
      const receipt = await write('linkSolana', [a.passportId, a.solanaAddress, a.attestationId, a.deadline, signature]);
      return receipt.transactionHash;
    },
    /**
     * Links a Web2 account proven by a Reclaim `web2-account` proof (checked and attested by the
     * validator, then sent with linkWeb2). Returns the transaction hash.
     * @param {ValidatorClient} validator @param {bigint} passportId @param {string} platform @param {unknown} proof
     */
    async linkWeb2(validator, passportId, platform, proof) {
      return client.linkWeb2Signed(await validator.linkWeb2(passportId, platform, proof));
    },
    /**
     * Sends linkWeb2 with a validator's attestation.
     * @param {import('./validator.js').SignedWeb2Link} signed
     * @returns {Promise<Hex>}
     */
    async linkWeb2Signed({ attestation: a, signature }) {
      const receipt = await write('linkWeb2', [a.passportId, a.platform, a.handleHash, a.attestationId, a.deadline, signature]);
      return receipt.transactionHash;
    },
    /**
     * Sends any other function of the passport contract (simulated first: reverts decoded).
     * @param {string} functionName @param {readonly unknown[]} [args]
     */
    sendCall: (functionName, args = []) => write(functionName, args),
  };
  return client;
}

/**
 * @typedef {object} ClassParams
 * @property {string} uri metadata URI
 * @property {bigint} points points credited per badge
 * @property {Hex} pointsCategory bytes32
 * @property {Hex} validatorKind bytes32, e.g. keccak256(toHex('NFT'))
 * @property {Hex} paramsHash bytes32 hash of the validator's condition JSON
 * @property {bigint} supplyCap 0 = unlimited
 * @property {bigint} startTime 0 = at once
 * @property {bigint} endTime 0 = never closes
 * @property {bigint} expiry seconds from mint, 0 = never
 */

/**
 * Client of a TRexBadge proxy (same conventions as passportClient).
 * @param {ClientArgs} args
 */
export function badgeClient({ publicClient, walletClient, address }) {
  const { read, write, domainArgs } = contractAccess({ publicClient, walletClient, address }, badgeAbi);

  const client = {
    address,
    domainArgs,
    /**
     * Builds the MintAttestation a validator signs; the recipient is the passport's owner on
     * the passport contract this badge contract uses.
     * @param {bigint} classId @param {bigint} passportId @param {Hex} attestationId @param {bigint} deadline
     * @returns {Promise<MintAttestation>}
     */
    async attestation(classId, passportId, attestationId, deadline) {
      const passport = /** @type {Address} */ (await read('passport'));
      const recipient = /** @type {Address} */ (
        await publicClient.readContract({
          address: passport,
          abi: passportAbi,
          functionName: 'ownerOf',
          args: [passportId],
        })
      );
      return { classId, passportId, recipient, attestationId, deadline };
    },
    /** ERC-1155 balance of `account` for class `classId`: 1n while it holds the badge. */
    balanceOf: (/** @type {Address} */ account, /** @type {bigint} */ classId) =>
      /** @type {Promise<bigint>} */ (read('balanceOf', [account, classId])),
    /** A badge class as stored; reverts ClassNotFound for an unknown class. */
    getClass: (/** @type {bigint} */ classId) => read('getClass', [classId]),
    /** The badge of `classId` held by `passportId` (mintedAt 0n when not held). */
    getBadge: (/** @type {bigint} */ classId, /** @type {bigint} */ passportId) =>
      read('getBadge', [classId, passportId]),
    /** Whether `passportId` holds an unexpired badge of `classId`. */
    isBadgeValid: (/** @type {bigint} */ classId, /** @type {bigint} */ passportId) =>
      /** @type {Promise<boolean>} */ (read('isBadgeValid', [classId, passportId])),

    /**
     * Creates a badge class issued by the sender, trusting `validators`; returns its id.
     * @param {ClassParams} params @param {Address[]} validators
     * @returns {Promise<bigint>}
     */
    async createClass(params, validators) {
      const receipt = await write('createClass', [params, validators]);
      return eventArgs(badgeAbi, receipt, 'ClassCreated', address).classId;
    },
    /**
     * Mints the badge `attestation` names with the validator's `signature`; anyone may send it.
     * @param {MintAttestation} attestation @param {Hex} signature
     * @returns {Promise<Hex>} transaction hash
     */
    async mint(attestation, signature) {
      const { classId, passportId, attestationId, deadline } = attestation;
      const receipt = await write('mint', [classId, passportId, attestationId, deadline, signature]);
      return receipt.transactionHash;
    },
    /**
     * Revokes a passport's badge of `classId` and debits its points; issuer only.
     * @param {bigint} classId @param {bigint} passportId
     * @returns {Promise<Hex>}
     */
    async revoke(classId, passportId) {
      const receipt = await write('revoke', [classId, passportId]);
      return receipt.transactionHash;
    },
    /** Whether the class trusts `validator`'s attestations. */
    isTrustedValidator: (/** @type {bigint} */ classId, /** @type {Address} */ validator) =>
      /** @type {Promise<boolean>} */ (read('isTrustedValidator', [classId, validator])),
    /**
     * The badges a passport holds now: its BadgeMinted and BadgeRevoked logs replayed in order,
     * each survivor confirmed with the on-chain badge record. Sorted by class id.
     * @param {bigint} passportId
     * @param {{fromBlock?: bigint}} [options]
     */
    async badgesOf(passportId, { fromBlock = 0n } = {}) {
      const query = (/** @type {string} */ eventName) =>
        publicClient.getContractEvents({ address, abi: badgeAbi, eventName, args: { passportId }, fromBlock });
      const logs = /** @type {any[]} */ ([...(await query('BadgeMinted')), ...(await query('BadgeRevoked'))]);
      logs.sort((a, b) => Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex);
      /** @type {Map<bigint, {attestationId: Hex, validator: Address}>} */
      const held = new Map();
      for (const log of logs) {
        if (log.eventName === 'BadgeMinted') {
          held.set(log.args.classId, { attestationId: log.args.attestationId, validator: log.args.validator });
        } else held.delete(log.args.classId);
      }
      const badges = [];
      for (const [classId, minted] of [...held].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const record = await client.getBadge(classId, passportId);
        if (record.mintedAt === 0n) continue;
        badges.push({
          classId,
          mintedAt: record.mintedAt,
          expiresAt: record.expiresAt,
          points: record.points,
          valid: await client.isBadgeValid(classId, passportId),
          ...minted,
        });
      }
      return badges;
    },
    /**
     * Creates a class validated by a trex-validator service and registers its conditions there:
     * paramsHash computed by the service and locally (they must agree), validatorKind from the
     * document's kind, trusting the service's signer. `params`' paramsHash and validatorKind are
     * replaced. Returns `{classId, paramsHash}`.
     * @param {ValidatorClient} validator @param {Omit<ClassParams, 'paramsHash' | 'validatorKind'>} params
     * @param {{kind: string} & Record<string, unknown>} conditions
     */
    async createClassWithConditions(validator, params, conditions) {
      const hash = await validator.conditionsHashChecked(conditions);
      const info = await validator.info();
      const classId = await client.createClass(
        { ...params, paramsHash: paramsHash(conditions), validatorKind: validatorKind(conditions.kind) },
        [info.validator],
      );
      await validator.registerConditions(classId, conditions);
      return { classId, paramsHash: hash.paramsHash };
    },
    /**
     * Asks the validator for an attestation and mints with it; returns `{signed, hash}`.
     * @param {ValidatorClient} validator @param {bigint} classId @param {bigint} passportId
     * @param {import('./validator.js').Evidence} [evidence]
     */
    async requestAndMint(validator, classId, passportId, evidence = {}) {
      const signed = await validator.validate(classId, passportId, evidence);
      return { signed, hash: await client.mintSigned(signed) };
    },
    /**
     * Mints with a validator's answer to POST /v1/classes/{id}/validate.
     * @param {import('./validator.js').SignedMintAttestation} signed
     */
    mintSigned: (signed) => client.mint(signed.attestation, signed.signature),
    /**
     * Sends any other function of the badge contract (simulated first: reverts decoded; an
     * ERC-1155 transfer of a badge reverts BadgeLocked).
     * @param {string} functionName @param {readonly unknown[]} [args]
     */
    sendCall: (functionName, args = []) => write(functionName, args),
  };
  return client;
}

/**
 * Both clients for the identity predeploys of the publicClient's chain (devnet, testnet,
 * mainnet); throws on a chain without known predeploys.
 * @param {{publicClient: PublicClient, walletClient?: WalletClient}} args
 */
export async function identityClients({ publicClient, walletClient }) {
  const chainId = await publicClient.getChainId();
  const known = identityAddresses(chainId);
  if (!known) throw new Error(`chain ${chainId} has no known identity predeploys`);
  return {
    passports: passportClient({ publicClient, walletClient, address: known.passport }),
    badges: badgeClient({ publicClient, walletClient, address: known.badge }),
  };
}

/**
 * Why an SDK call was refused: the contract's custom error (`{kind: 'revert', name, args}`), the
 * validator's answer (`{kind: 'validator', name: code, reasons}`) or a DID login refusal
 * (`{kind: 'login', name: code}`); undefined for other failures.
 * @param {unknown} err
 * @returns {{kind: 'revert' | 'validator' | 'login', name: string, args?: readonly unknown[], reasons?: string[]} | undefined}
 */
export function rejectionReason(err) {
  if (err instanceof ValidatorApiError) return { kind: 'validator', name: err.code, reasons: err.reasons };
  if (err instanceof SiweError) return { kind: 'login', name: err.code };
  if (err instanceof BaseError) {
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName) {
      return { kind: 'revert', name: revert.data.errorName, args: revert.data.args };
    }
  }
  return undefined;
}
