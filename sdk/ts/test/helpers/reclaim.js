// Test-only Reclaim proofs signed the way trex-zktls verifies them (crates/zktls/README.md):
// identifier = keccak256(provider \n parameters \n canonical(context)); each witness signs, with
// EIP-191, `0x<identifier>\n0x<owner lower-case>\n<timestampS>\n<epoch>`. Shared with
// examples/devnet-flow.mjs; not part of the SDK's API (real proofs come from Reclaim's witnesses).
import { keccak256, toHex } from 'viem';
import { canonicalJson } from '../../src/conditions.js';

/**
 * @typedef {{provider: string, parameters: string, context: Record<string, unknown>}} Claim
 */

/**
 * A proof of `claim` for `owner` at `timestampS`, signed by the `witness` account for `epoch`.
 * @param {import('viem').LocalAccount} witness @param {Claim} claim
 * @param {import('viem').Address} owner @param {number} timestampS @param {number} epoch
 */
export async function signedProof(witness, claim, owner, timestampS, epoch) {
  const context = canonicalJson(claim.context);
  const identifier = keccak256(toHex(`${claim.provider}\n${claim.parameters}\n${context}`));
  const data = `${identifier}\n${owner.toLowerCase()}\n${timestampS}\n${epoch}`;
  const signature = await witness.signMessage({ message: data });
  return {
    identifier,
    claimData: {
      provider: claim.provider,
      parameters: claim.parameters,
      owner: owner.toLowerCase(),
      timestampS,
      context,
      identifier,
      epoch,
    },
    signatures: [signature],
    witnesses: [{ id: witness.address, url: 'wss://witness.test' }],
  };
}

/**
 * A Twitch follower-count claim bound to `contextAddress` (a passport wallet); the T-Rex provider
 * id `twitch-followers` is the context's `contextMessage` (crates/zktls/README.md).
 * @param {import('viem').Address} contextAddress @param {string} followers @param {string} session
 * @returns {Claim}
 */
export function twitchFollowers(contextAddress, followers, session) {
  return {
    provider: 'http',
    parameters: JSON.stringify({
      method: 'GET',
      url: 'https://api.twitch.tv/helix/channels/followers',
      responseMatches: [{ type: 'regex', value: '"total":(?<followers>[0-9,]+)' }],
    }),
    context: {
      contextAddress,
      contextMessage: 'twitch-followers',
      sessionId: session,
      extractedParameters: { followers },
    },
  };
}
