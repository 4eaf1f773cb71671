// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {FeeVault} from "./FeeVault.sol";

/// @title BaseFeeVault
/// @notice The L2 predeploy at 0x4200000000000000000000000000000000000019 collecting the L2 base fees.
contract BaseFeeVault is FeeVault {}
