// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The identity contracts are deployed behind OpenZeppelin's ERC1967 proxy. Importing it here makes
// `forge build` of src/ produce its artifact, which deploy/update-bindings.sh exports for the SDKs.
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
