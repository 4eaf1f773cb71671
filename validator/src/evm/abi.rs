//! The standard token interfaces the EVM checks read.

#![allow(missing_docs)]

use alloy_sol_types::sol;

sol! {
    /// ERC-721: the `Transfer` event has three indexed topics (the id is indexed).
    interface IERC721 {
        event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
        function balanceOf(address owner) external view returns (uint256);
        function ownerOf(uint256 tokenId) external view returns (address);
        function tokenURI(uint256 tokenId) external view returns (string);
    }

    /// ERC-1155.
    interface IERC1155 {
        event TransferSingle(
            address indexed operator,
            address indexed from,
            address indexed to,
            uint256 id,
            uint256 value
        );
        event TransferBatch(
            address indexed operator,
            address indexed from,
            address indexed to,
            uint256[] ids,
            uint256[] values
        );
        function balanceOf(address account, uint256 id) external view returns (uint256);
        function uri(uint256 id) external view returns (string);
    }

    /// ERC-20: same `Transfer` signature as ERC-721, but the amount is data, not a topic.
    interface IERC20 {
        event Transfer(address indexed from, address indexed to, uint256 value);
        function balanceOf(address owner) external view returns (uint256);
    }
}
