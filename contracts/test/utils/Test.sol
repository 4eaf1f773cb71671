// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Vm, VM_ADDRESS} from "./Vm.sol";

/// @notice Assertions for forge tests. Each failing assertion reverts with a message naming the
///         check and both values, e.g. `assertEq failed: 1 != 2`, prefixed by `err` when one is
///         given (`balance after transfer: assertEq failed: 1 != 2`). forge reports a test whose
///         call reverts as failed; there is no non-reverting (ds-test style) mode.
/// @dev Written for T-Rex Chain (see contracts/README.md). All assertions are `pure`, so they can
///      be used in `view` tests.
abstract contract Assertions {
    Vm private constant VM = Vm(VM_ADDRESS);

    function fail(string memory err) internal pure virtual {
        revert(err);
    }

    // --- bool -----------------------------------------------------------------------------------
    function assertTrue(bool condition) internal pure {
        assertTrue(condition, "");
    }

    function assertTrue(bool condition, string memory err) internal pure {
        if (!condition) _fail(err, "assertTrue failed");
    }

    function assertFalse(bool condition) internal pure {
        assertFalse(condition, "");
    }

    function assertFalse(bool condition, string memory err) internal pure {
        if (condition) _fail(err, "assertFalse failed");
    }

    function assertEq(bool left, bool right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(bool left, bool right, string memory err) internal pure {
        if (left != right) _fail(err, "assertEq", VM.toString(left), "!=", VM.toString(right));
    }

    // --- uint256 --------------------------------------------------------------------------------
    function assertEq(uint256 left, uint256 right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(uint256 left, uint256 right, string memory err) internal pure {
        if (left != right) _fail(err, "assertEq", VM.toString(left), "!=", VM.toString(right));
    }

    function assertNotEq(uint256 left, uint256 right) internal pure {
        assertNotEq(left, right, "");
    }

    function assertNotEq(uint256 left, uint256 right, string memory err) internal pure {
        if (left == right) _fail(err, "assertNotEq", VM.toString(left), "==", VM.toString(right));
    }

    function assertGt(uint256 left, uint256 right) internal pure {
        assertGt(left, right, "");
    }

    function assertGt(uint256 left, uint256 right, string memory err) internal pure {
        if (left <= right) _fail(err, "assertGt", VM.toString(left), "<=", VM.toString(right));
    }

    function assertGe(uint256 left, uint256 right) internal pure {
        assertGe(left, right, "");
    }

    function assertGe(uint256 left, uint256 right, string memory err) internal pure {
        if (left < right) _fail(err, "assertGe", VM.toString(left), "<", VM.toString(right));
    }

    function assertLt(uint256 left, uint256 right) internal pure {
        assertLt(left, right, "");
    }

    function assertLt(uint256 left, uint256 right, string memory err) internal pure {
        if (left >= right) _fail(err, "assertLt", VM.toString(left), ">=", VM.toString(right));
    }

    function assertLe(uint256 left, uint256 right) internal pure {
        assertLe(left, right, "");
    }

    function assertLe(uint256 left, uint256 right, string memory err) internal pure {
        if (left > right) _fail(err, "assertLe", VM.toString(left), ">", VM.toString(right));
    }

    /// `left` and `right` differ by at most `maxDelta`.
    function assertApproxEqAbs(uint256 left, uint256 right, uint256 maxDelta) internal pure {
        assertApproxEqAbs(left, right, maxDelta, "");
    }

    function assertApproxEqAbs(uint256 left, uint256 right, uint256 maxDelta, string memory err)
        internal
        pure
    {
        uint256 delta = left > right ? left - right : right - left;
        if (delta > maxDelta) {
            _fail(
                err,
                string.concat(
                    "assertApproxEqAbs failed: ",
                    VM.toString(left),
                    " !~= ",
                    VM.toString(right),
                    " (delta ",
                    VM.toString(delta),
                    " > max ",
                    VM.toString(maxDelta),
                    ")"
                )
            );
        }
    }

    // --- int256 ---------------------------------------------------------------------------------
    function assertEq(int256 left, int256 right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(int256 left, int256 right, string memory err) internal pure {
        if (left != right) _fail(err, "assertEq", VM.toString(left), "!=", VM.toString(right));
    }

    function assertNotEq(int256 left, int256 right) internal pure {
        assertNotEq(left, right, "");
    }

    function assertNotEq(int256 left, int256 right, string memory err) internal pure {
        if (left == right) _fail(err, "assertNotEq", VM.toString(left), "==", VM.toString(right));
    }

    function assertGt(int256 left, int256 right) internal pure {
        assertGt(left, right, "");
    }

    function assertGt(int256 left, int256 right, string memory err) internal pure {
        if (left <= right) _fail(err, "assertGt", VM.toString(left), "<=", VM.toString(right));
    }

    function assertGe(int256 left, int256 right) internal pure {
        assertGe(left, right, "");
    }

    function assertGe(int256 left, int256 right, string memory err) internal pure {
        if (left < right) _fail(err, "assertGe", VM.toString(left), "<", VM.toString(right));
    }

    function assertLt(int256 left, int256 right) internal pure {
        assertLt(left, right, "");
    }

    function assertLt(int256 left, int256 right, string memory err) internal pure {
        if (left >= right) _fail(err, "assertLt", VM.toString(left), ">=", VM.toString(right));
    }

    function assertLe(int256 left, int256 right) internal pure {
        assertLe(left, right, "");
    }

    function assertLe(int256 left, int256 right, string memory err) internal pure {
        if (left > right) _fail(err, "assertLe", VM.toString(left), ">", VM.toString(right));
    }

    // --- address, bytes32 -----------------------------------------------------------------------
    function assertEq(address left, address right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(address left, address right, string memory err) internal pure {
        if (left != right) _fail(err, "assertEq", VM.toString(left), "!=", VM.toString(right));
    }

    function assertNotEq(address left, address right) internal pure {
        assertNotEq(left, right, "");
    }

    function assertNotEq(address left, address right, string memory err) internal pure {
        if (left == right) _fail(err, "assertNotEq", VM.toString(left), "==", VM.toString(right));
    }

    function assertEq(bytes32 left, bytes32 right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(bytes32 left, bytes32 right, string memory err) internal pure {
        if (left != right) _fail(err, "assertEq", VM.toString(left), "!=", VM.toString(right));
    }

    function assertNotEq(bytes32 left, bytes32 right) internal pure {
        assertNotEq(left, right, "");
    }

    function assertNotEq(bytes32 left, bytes32 right, string memory err) internal pure {
        if (left == right) _fail(err, "assertNotEq", VM.toString(left), "==", VM.toString(right));
    }

    // --- string, bytes --------------------------------------------------------------------------
    function assertEq(string memory left, string memory right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(string memory left, string memory right, string memory err) internal pure {
        if (keccak256(bytes(left)) != keccak256(bytes(right))) {
            _fail(err, "assertEq", _quote(left), "!=", _quote(right));
        }
    }

    function assertNotEq(string memory left, string memory right) internal pure {
        assertNotEq(left, right, "");
    }

    function assertNotEq(string memory left, string memory right, string memory err) internal pure {
        if (keccak256(bytes(left)) == keccak256(bytes(right))) {
            _fail(err, "assertNotEq", _quote(left), "==", _quote(right));
        }
    }

    function assertEq(bytes memory left, bytes memory right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(bytes memory left, bytes memory right, string memory err) internal pure {
        if (keccak256(left) != keccak256(right)) {
            _fail(err, "assertEq", VM.toString(left), "!=", VM.toString(right));
        }
    }

    function assertNotEq(bytes memory left, bytes memory right) internal pure {
        assertNotEq(left, right, "");
    }

    function assertNotEq(bytes memory left, bytes memory right, string memory err) internal pure {
        if (keccak256(left) == keccak256(right)) {
            _fail(err, "assertNotEq", VM.toString(left), "==", VM.toString(right));
        }
    }

    // --- arrays ---------------------------------------------------------------------------------
    function assertEq(uint256[] memory left, uint256[] memory right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(uint256[] memory left, uint256[] memory right, string memory err)
        internal
        pure
    {
        if (keccak256(abi.encode(left)) != keccak256(abi.encode(right))) {
            _fail(err, "assertEq", _list(left), "!=", _list(right));
        }
    }

    function assertEq(address[] memory left, address[] memory right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(address[] memory left, address[] memory right, string memory err)
        internal
        pure
    {
        if (keccak256(abi.encode(left)) != keccak256(abi.encode(right))) {
            _fail(err, "assertEq", _list(left), "!=", _list(right));
        }
    }

    // --- failure messages -----------------------------------------------------------------------
    function _fail(
        string memory err,
        string memory check,
        string memory left,
        string memory op,
        string memory right
    ) private pure {
        _fail(err, string.concat(check, " failed: ", left, " ", op, " ", right));
    }

    function _fail(string memory err, string memory what) private pure {
        fail(bytes(err).length == 0 ? what : string.concat(err, ": ", what));
    }

    function _quote(string memory s) private pure returns (string memory) {
        return string.concat("\"", s, "\"");
    }

    function _list(uint256[] memory values) private pure returns (string memory out) {
        out = "[";
        for (uint256 i; i < values.length; ++i) {
            out = string.concat(out, i == 0 ? "" : ", ", VM.toString(values[i]));
        }
        out = string.concat(out, "]");
    }

    function _list(address[] memory values) private pure returns (string memory out) {
        out = "[";
        for (uint256 i; i < values.length; ++i) {
            out = string.concat(out, i == 0 ? "" : ", ", VM.toString(values[i]));
        }
        out = string.concat(out, "]");
    }
}

/// @notice What an invariant test lets forge call. forge 1.7.1 reads these public getters from
///         the test contract after `setUp()`; with none set it calls every contract deployed in
///         `setUp()` (except the test contract) from random senders.
/// @dev Call the internal setters in `setUp()`. `targetSelector` narrows a target to some of its
///      functions; `targetSender` restricts msg.sender to the addresses given.
abstract contract InvariantTargets {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetedContracts;
    address[] private _excludedContracts;
    address[] private _targetedSenders;
    address[] private _excludedSenders;
    FuzzSelector[] private _targetedSelectors;
    FuzzSelector[] private _excludedSelectors;

    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    function excludeContract(address target) internal {
        _excludedContracts.push(target);
    }

    function targetSender(address sender) internal {
        _targetedSenders.push(sender);
    }

    function excludeSender(address sender) internal {
        _excludedSenders.push(sender);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetedSelectors.push(selector);
    }

    function excludeSelector(FuzzSelector memory selector) internal {
        _excludedSelectors.push(selector);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    function excludeContracts() public view returns (address[] memory) {
        return _excludedContracts;
    }

    function targetSenders() public view returns (address[] memory) {
        return _targetedSenders;
    }

    function excludeSenders() public view returns (address[] memory) {
        return _excludedSenders;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetedSelectors;
    }

    function excludeSelectors() public view returns (FuzzSelector[] memory) {
        return _excludedSelectors;
    }
}

/// @notice Base contract of T-Rex Chain's forge tests: `vm`, assertions, invariant targets and a
///         few helpers. Every helper is `internal`, so a contract inheriting `Test` (an invariant
///         handler, say) exposes none of them to the invariant fuzzer.
abstract contract Test is Assertions, InvariantTargets {
    Vm internal constant vm = Vm(VM_ADDRESS);

    /// Maps `x` into [min, max]: unchanged when already inside; otherwise small inputs map to
    /// min + x and inputs near 2**256 - 1 to just below max, so the fuzzer's edge values stay
    /// edge values; anything else wraps modulo the range's size.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        // Here the range is not the whole of uint256 (x would be inside), so size cannot overflow.
        uint256 size = max - min + 1;
        if (x < size) return min + x;
        uint256 fromTop = type(uint256).max - x;
        if (fromTop < size) return max - fromTop;
        return min + x % size;
    }

    /// A labelled address derived from `name` (the same name gives the same address).
    function makeAddr(string memory name) internal returns (address account) {
        (account,) = makeAddrAndKey(name);
    }

    /// Like `makeAddr`, with the private key, for tests that sign (`vm.sign`).
    function makeAddrAndKey(string memory name)
        internal
        returns (address account, uint256 privateKey)
    {
        privateKey = uint256(keccak256(bytes(name)));
        account = vm.addr(privateKey);
        vm.label(account, name);
    }

    /// Sets the ether balance of `account`.
    function deal(address account, uint256 newBalance) internal {
        vm.deal(account, newBalance);
    }

    /// Moves block.timestamp forward by `secondsForward`.
    function skip(uint256 secondsForward) internal {
        vm.warp(block.timestamp + secondsForward);
    }
}
