// @ts-check
/**
 * ABIs and bytecode from the committed Foundry artifacts in crates/bindings/artifacts, the same
 * files the Rust SDK (crates/sdk) is built from.
 */
import { readFileSync } from 'node:fs';

/** @typedef {`0x${string}`} Hex */

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

/**
 * The custom errors of both contracts: a badge call can bubble up the passport's errors
 * (PassportNotFound), so writes decode reverts against both.
 */
export const identityErrorsAbi = [...passportAbi, ...badgeAbi].filter(
  (item, i, all) =>
    item.type === 'error' && all.findIndex((o) => o.type === 'error' && o.name === item.name) === i,
);
