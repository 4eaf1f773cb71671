// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {FeeVault} from "./FeeVault.sol";

/// @title OperatorFeeVault
/// @notice The L2 predeploy at 0x420000000000000000000000000000000000001b collecting the operator fees.
contract OperatorFeeVault is FeeVault {}
