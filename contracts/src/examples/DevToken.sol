// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DevToken
/// @notice A plain OpenZeppelin ERC-20 for development networks: the whole supply is minted to the
///         deployer. Integration tests deploy it with `forge create` and the load generator sends
///         its transfers; it has no owner, no minting after construction and no fees.
contract DevToken is ERC20 {
    /// @param name_ Token name, e.g. "Dev Token".
    /// @param symbol_ Token symbol, e.g. "DEV".
    /// @param initialSupply Amount in base units (18 decimals) minted to `msg.sender`.
    constructor(string memory name_, string memory symbol_, uint256 initialSupply)
        ERC20(name_, symbol_)
    {
        _mint(msg.sender, initialSupply);
    }
}
