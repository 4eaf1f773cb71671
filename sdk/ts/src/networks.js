// @ts-check
/** Where the identity contracts live on each T-Rex chain, so clients can be built from a chain id. */

/** Chain id of the local devnet (deploy/devnet.sh). */
export const DEVNET_CHAIN_ID = 31628;
/** Chain id of the public testnet. */
export const TESTNET_CHAIN_ID = 1962;
/** Chain id of mainnet. */
export const MAINNET_CHAIN_ID = 1628;

/** @typedef {{passport: import('viem').Address, badge: import('viem').Address}} IdentityAddresses */

/** Devnet and testnet share their genesis predeploys. @type {IdentityAddresses} */
const DEVNET_AND_TESTNET = {
  passport: '0x06fAb5a4e177fefE5Cc15dc41C64Ba933021418a',
  badge: '0xa51B53Dc3aA7f4ef5fE9bb429521a73f411ad867',
};
/** @type {IdentityAddresses} */
const MAINNET = {
  passport: '0xbbB216C52f5B9095391f463AdC438d65a8aC2242',
  badge: '0x6F52cCCfAb0712Db45C31863B262e2683097bb5c',
};

/**
 * The identity predeploys of a known T-Rex chain; undefined for any other chain.
 * @param {number | bigint} chainId
 * @returns {IdentityAddresses | undefined}
 */
export function identityAddresses(chainId) {
  switch (Number(chainId)) {
    case DEVNET_CHAIN_ID:
    case TESTNET_CHAIN_ID:
      return DEVNET_AND_TESTNET;
    case MAINNET_CHAIN_ID:
      return MAINNET;
    default:
      return undefined;
  }
}
