// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DemoToken
/// @notice An ERC-20 (18 decimals) for demos and tests of the token badge checks: anyone may mint.
contract DemoToken is ERC20 {
    constructor() ERC20("T-Rex Demo Token", "TRXDEMO") {}

    /// @notice Mints `amount` base units to `to`; open to anyone.
    /// @param to The recipient.
    /// @param amount Base units (18 decimals).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
