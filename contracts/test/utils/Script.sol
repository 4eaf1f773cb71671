// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Vm, VM_ADDRESS} from "./Vm.sol";

/// @notice Base contract of T-Rex Chain's `forge script` scripts (under contracts/script/).
/// @dev Written for this repository. A script implements `run()` and wraps the calls that should
///      become transactions in `vm.startBroadcast(privateKey)` / `vm.stopBroadcast()`; for example
///      `uint256 key = vm.envUint("DEPLOYER_KEY"); vm.startBroadcast(key); new X(); vm.stopBroadcast();`
///      then `forge script script/DeployX.s.sol --rpc-url $RPC --broadcast`.
abstract contract Script {
    Vm internal constant vm = Vm(VM_ADDRESS);
}
