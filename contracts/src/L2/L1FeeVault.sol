// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {FeeVault} from "./FeeVault.sol";

/// @title L1FeeVault
/// @notice The L2 predeploy at 0x420000000000000000000000000000000000001a collecting the L1 data fees.
contract L1FeeVault is FeeVault {}
