// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @title DemoNFT
/// @notice An ERC-721 for demos and tests of the NFT badge checks: anyone may mint, and every
///         token's metadata is generated on chain, so no server or IPFS pin is needed.
/// @dev Token ids start at 1 and count up. `tokenURI(id)` returns
///      `data:application/json;base64,<base64 of>`
///      `{"name":"Demo NFT #<id>","description":"…","attributes":[{"trait_type":"Tier","value":"<tier>"},{"trait_type":"Edition","value":<id>}]}`
///      where the tier cycles with the id: 1 → "Bronze", 2 → "Silver", 3 → "Gold", 4 → "Bronze", …
contract DemoNFT is ERC721 {
    /// @notice The id the next `mint` assigns.
    uint256 public nextTokenId = 1;

    constructor() ERC721("T-Rex Demo NFT", "TRXNFT") {}

    /// @notice Mints the next token to `to`; open to anyone.
    /// @param to The recipient.
    /// @return id The new token's id.
    function mint(address to) external returns (uint256 id) {
        id = nextTokenId++;
        _safeMint(to, id);
    }

    /// @notice The tier attribute of token `id`: "Bronze", "Silver" or "Gold", cycling from id 1.
    function tier(uint256 id) public pure returns (string memory) {
        uint256 step = id % 3;
        if (step == 1) return "Bronze";
        if (step == 2) return "Silver";
        return "Gold";
    }

    /// @inheritdoc ERC721
    function tokenURI(uint256 id) public view override returns (string memory) {
        _requireOwned(id);
        string memory number = Strings.toString(id);
        bytes memory json = abi.encodePacked(
            '{"name":"Demo NFT #',
            number,
            '","description":"A T-Rex Chain demo token with on-chain metadata.","attributes":[',
            '{"trait_type":"Tier","value":"',
            tier(id),
            '"},{"trait_type":"Edition","value":',
            number,
            "}]}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(json));
    }
}
