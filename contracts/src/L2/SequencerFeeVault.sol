// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {FeeVault} from "./FeeVault.sol";

/// @title SequencerFeeVault
/// @notice The L2 predeploy at 0x4200000000000000000000000000000000000011 collecting the priority fees of L2 blocks.
contract SequencerFeeVault is FeeVault {}
