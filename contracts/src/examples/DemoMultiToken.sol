// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @title DemoMultiToken
/// @notice An ERC-1155 for demos and tests of the NFT badge checks: anyone may mint any id.
/// @dev The metadata URI is fixed at deployment and follows ERC-1155's `{id}` convention: clients
///      replace `{id}` with the id as 64 lower-case hex digits, e.g.
///      `https://example.org/meta/{id}.json`.
contract DemoMultiToken is ERC1155 {
    /// @param uri_ The metadata URI template of every id.
    constructor(string memory uri_) ERC1155(uri_) {}

    /// @notice Mints `amount` of token `id` to `to`; open to anyone.
    /// @param to The recipient (a contract recipient must accept ERC-1155 tokens).
    /// @param id The token id.
    /// @param amount How many.
    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}
