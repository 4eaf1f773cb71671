// @ts-check
/**
 * @trex-chain/sdk: viem clients for the T-Rex Passport and Badge contracts
 * (contracts/src/identity). ABIs and bytecode come from the committed Foundry artifacts in
 * crates/bindings/artifacts, the same files the Rust SDK (crates/sdk) is built from.
 */
import { readFileSync } from 'node:fs';
import { encodeDeployData, encodeFunctionData, parseEventLogs } from 'viem';

/** @typedef {`0x${string}`} Hex */
/** @typedef {import('viem').Address} Address */
/** @typedef {import('viem').PublicClient} PublicClient */
/** @typedef {import('viem').WalletClient} WalletClient */
/** @typedef {import('viem').Account} Account */

/** @param {string} name */
function artifact(name) {
  const url = new URL(`../../../crates/bindings/artifacts/${name}.json`, import.meta.url);
  const json = JSON.parse(readFileSync(url, 'utf8'));
  return {
    abi: json.abi,
    /** @type {Hex} */ bytecode: json.bytecode.object,
    /** @type {Hex} */ deployedBytecode: json.deployedBytecode.object,
  };
}

const passportArtifact = artifact('TRexPassport');
const badgeArtifact = artifact('TRexBadge');
const proxyArtifact = artifact('ERC1967Proxy');

/** ABI of TRexPassport. */
export const passportAbi = passportArtifact.abi;
/** ABI of TRexBadge. */
export const badgeAbi = badgeArtifact.abi;
/** ABI of OpenZeppelin's ERC1967Proxy. */
export const erc1967ProxyAbi = proxyArtifact.abi;
/** Creation bytecode of the implementations and the proxy. */
export const bytecode = {
  TRexPassport: passportArtifact.bytecode,
  TRexBadge: badgeArtifact.bytecode,
  ERC1967Proxy: proxyArtifact.bytecode,
};

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
  return {
    /** @param {string} functionName @param {readonly unknown[]} [args] */
    read: (functionName, args = []) =>
      /** @type {Promise<any>} */ (publicClient.readContract({ address, abi, functionName, args })),
    /** @param {string} functionName @param {readonly unknown[]} [args] */
    write: (functionName, args = []) =>
      transact(publicClient, /** @type {WalletClient} */ (walletClient), {
        address,
        abi,
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
  };
  return client;
}
