// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title Predeploys
/// @notice Addresses of T-Rex Chain's L2 predeploys (OP's addresses). Their runtime code is written
///         into the L2 genesis by deploy/tools/predeploys.mjs.
library Predeploys {
    /// @notice Receives the priority fees (and the base fee's coinbase share) of L2 blocks.
    address internal constant SEQUENCER_FEE_VAULT = 0x4200000000000000000000000000000000000011;
    /// @notice L1 block attributes, written by the L1-attributes deposit of every L2 block.
    address internal constant L1_BLOCK = 0x4200000000000000000000000000000000000015;
    /// @notice Withdrawals from L2 to L1.
    address internal constant L2_TO_L1_MESSAGE_PASSER = 0x4200000000000000000000000000000000000016;
    /// @notice Receives the L2 base fees.
    address internal constant BASE_FEE_VAULT = 0x4200000000000000000000000000000000000019;
    /// @notice Receives the L1 data fees.
    address internal constant L1_FEE_VAULT = 0x420000000000000000000000000000000000001A;
    /// @notice Receives the operator fees.
    address internal constant OPERATOR_FEE_VAULT = 0x420000000000000000000000000000000000001b;
    /// @notice The sender of the L1-attributes deposit transaction.
    address internal constant DEPOSITOR_ACCOUNT = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;
}
