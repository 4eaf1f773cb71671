// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {TRexPortal} from "../../src/L1/TRexPortal.sol";

/// @notice Makes deposits of random size and gas over random L1 blocks, tracking what it expects.
contract PortalHandler is Test {
    TRexPortal internal immutable portal;
    uint256 public totalMinted;
    uint256 public deposits;
    uint256 public rejectedForCap;

    constructor(TRexPortal portal_) {
        portal = portal_;
    }

    function deposit(uint256 mint, uint64 gasLimit, uint256 dataLength) external {
        mint = bound(mint, 0, 100 ether);
        dataLength = bound(dataLength, 0, 256);
        // dataLength <= 256 after the bound, so the casts below cannot truncate.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 minimum = portal.minimumGasLimit(uint64(dataLength));
        // forge-lint: disable-next-line(unsafe-typecast)
        gasLimit = uint64(bound(gasLimit, minimum, portal.maxGasPerDeposit()));
        deal(address(this), mint);
        uint64 available = portal.gasAvailableInBlock();
        if (gasLimit > available) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    TRexPortal.BlockGasLimitExceeded.selector, gasLimit, available
                )
            );
            portal.depositTransaction{value: mint}(
                address(1), 0, gasLimit, false, new bytes(dataLength)
            );
            ++rejectedForCap;
            return;
        }
        portal.depositTransaction{value: mint}(
            address(1), 0, gasLimit, false, new bytes(dataLength)
        );
        totalMinted += mint;
        ++deposits;
    }

    function nextBlock(uint8 blocks) external {
        vm.roll(block.number + bound(blocks, 1, 3));
    }
}

/// @notice The portal holds exactly the ether minted by accepted deposits, and no L1 block's
///         deposits ever exceed the per-block gas cap.
contract TRexPortalInvariantTest is Test {
    TRexPortal internal portal;
    PortalHandler internal handler;

    function setUp() public {
        portal = new TRexPortal(address(this), address(0), 5_000_000, 12_000_000);
        handler = new PortalHandler(portal);
        targetContract(address(handler));
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariant_BalanceIsSumOfMints() public view {
        assertEq(address(portal).balance, handler.totalMinted());
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariant_BlockGasWithinCap() public view {
        assertLe(uint256(portal.gasUsedInBlock()), uint256(portal.maxGasPerBlock()));
        assertLe(uint256(portal.gasAvailableInBlock()), uint256(portal.maxGasPerBlock()));
    }
}
