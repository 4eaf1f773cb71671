// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @notice ERC-5192 (minimal soulbound tokens). Interface id 0xb45a3c0e.
interface IERC5192 {
    /// Emitted when the locking status of a token changes to locked.
    event Locked(uint256 tokenId);
    /// Emitted when the locking status of a token changes to unlocked.
    event Unlocked(uint256 tokenId);

    /// Whether `tokenId` is locked (always true for T-Rex badges).
    function locked(uint256 tokenId) external view returns (bool);
}
