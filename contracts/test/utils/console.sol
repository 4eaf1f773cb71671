// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @notice `console.log` for tests and scripts: forge prints these (with -vv for tests, always for
///         scripts). A few overloads, written for this repository; add more with the signature
///         forge's console decoder knows (hardhat's `log(...)` signatures with uint256/int256).
library console {
    /// forge intercepts calls to this address ("console.log" as bytes).
    address private constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function _send(bytes memory payload) private view {
        (bool ok,) = CONSOLE.staticcall(payload);
        ok; // nothing is deployed there outside forge; a log must never make the caller fail
    }

    function log(string memory message) internal view {
        _send(abi.encodeWithSignature("log(string)", message));
    }

    function log(string memory message, uint256 value) internal view {
        _send(abi.encodeWithSignature("log(string,uint256)", message, value));
    }

    function log(string memory message, int256 value) internal view {
        _send(abi.encodeWithSignature("log(string,int256)", message, value));
    }

    function log(string memory message, address value) internal view {
        _send(abi.encodeWithSignature("log(string,address)", message, value));
    }

    function log(string memory message, bool value) internal view {
        _send(abi.encodeWithSignature("log(string,bool)", message, value));
    }

    function log(string memory message, string memory value) internal view {
        _send(abi.encodeWithSignature("log(string,string)", message, value));
    }

    function log(string memory message, bytes32 value) internal view {
        _send(abi.encodeWithSignature("log(string,bytes32)", message, value));
    }
}
