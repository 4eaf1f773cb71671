// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title AddressAliasing
/// @notice The L1 to L2 sender alias of OP-stack rollups: a contract on L1 appears on L2 as its
///         address plus 0x1111000000000000000000000000000000001111 (modulo 2^160), so it cannot be
///         confused with an L2 contract that happens to share its address.
library AddressAliasing {
    /// @notice The offset added to an L1 contract's address.
    uint160 internal constant OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice The L2 alias of the L1 address `l1Address`.
    function toL2(address l1Address) internal pure returns (address) {
        unchecked {
            return address(uint160(l1Address) + OFFSET);
        }
    }

    /// @notice The L1 address whose L2 alias is `l2Address`.
    function toL1(address l2Address) internal pure returns (address) {
        unchecked {
            return address(uint160(l2Address) - OFFSET);
        }
    }
}
