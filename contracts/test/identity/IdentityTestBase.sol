// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {TRexPassport} from "../../src/identity/TRexPassport.sol";
import {TRexBadge} from "../../src/identity/TRexBadge.sol";
import {ITRexPassport} from "../../src/identity/ITRexPassport.sol";

/// @notice Deploys TRexPassport and TRexBadge behind ERC1967 proxies and signs their EIP-712
///         messages with `vm.sign`.
abstract contract IdentityTestBase is Test {
    bytes32 internal constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );

    TRexPassport internal passport;
    TRexBadge internal badge;

    address internal admin = makeAddr("admin");
    address internal taskIssuer = makeAddr("taskIssuer");
    address internal validator;
    uint256 internal validatorKey;

    function _deploy() internal {
        (validator, validatorKey) = makeAddrAndKey("validator");
        TRexPassport passportImpl = new TRexPassport();
        passport = TRexPassport(
            address(
                new ERC1967Proxy(
                    address(passportImpl), abi.encodeCall(TRexPassport.initialize, (admin))
                )
            )
        );
        TRexBadge badgeImpl = new TRexBadge();
        badge = TRexBadge(
            address(
                new ERC1967Proxy(
                    address(badgeImpl),
                    abi.encodeCall(TRexBadge.initialize, (admin, ITRexPassport(address(passport))))
                )
            )
        );
        vm.startPrank(admin);
        passport.setBadgeContract(address(badge));
        passport.grantRole(passport.VALIDATOR_ROLE(), validator);
        passport.grantRole(passport.TASK_ISSUER_ROLE(), taskIssuer);
        vm.stopPrank();
    }

    function _domain(string memory name, address verifyingContract)
        internal
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256(bytes(name)),
                keccak256("1"),
                block.chainid,
                verifyingContract
            )
        );
    }

    function _sign(uint256 key, bytes32 domain, bytes32 structHash)
        internal
        pure
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(key, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        return abi.encodePacked(r, s, v);
    }

    function _signLinkWallet(
        uint256 walletKey,
        uint256 passportId,
        address wallet,
        uint256 nonce,
        uint256 deadline
    ) internal view returns (bytes memory) {
        return _sign(
            walletKey,
            _domain("TRexPassport", address(passport)),
            keccak256(
                abi.encode(
                    keccak256(
                        "LinkWallet(uint256 passportId,address wallet,uint256 nonce,uint256 deadline)"
                    ),
                    passportId,
                    wallet,
                    nonce,
                    deadline
                )
            )
        );
    }

    function _signLinkSolana(
        uint256 key,
        uint256 passportId,
        bytes32 solanaAddress,
        bytes32 attestationId,
        uint256 deadline
    ) internal view returns (bytes memory) {
        return _sign(
            key,
            _domain("TRexPassport", address(passport)),
            keccak256(
                abi.encode(
                    keccak256(
                        "LinkSolana(uint256 passportId,bytes32 solanaAddress,bytes32 attestationId,uint256 deadline)"
                    ),
                    passportId,
                    solanaAddress,
                    attestationId,
                    deadline
                )
            )
        );
    }

    function _signLinkWeb2(
        uint256 key,
        uint256 passportId,
        bytes32 platform,
        bytes32 handleHash,
        bytes32 attestationId,
        uint256 deadline
    ) internal view returns (bytes memory) {
        return _sign(
            key,
            _domain("TRexPassport", address(passport)),
            keccak256(
                abi.encode(
                    keccak256(
                        "LinkWeb2(uint256 passportId,bytes32 platform,bytes32 handleHash,bytes32 attestationId,uint256 deadline)"
                    ),
                    passportId,
                    platform,
                    handleHash,
                    attestationId,
                    deadline
                )
            )
        );
    }

    function _signMint(
        uint256 key,
        uint256 classId,
        uint256 passportId,
        address recipient,
        bytes32 attestationId,
        uint256 deadline
    ) internal view returns (bytes memory) {
        return _sign(
            key,
            _domain("TRexBadge", address(badge)),
            keccak256(
                abi.encode(
                    keccak256(
                        "MintAttestation(uint256 classId,uint256 passportId,address recipient,bytes32 attestationId,uint256 deadline)"
                    ),
                    classId,
                    passportId,
                    recipient,
                    attestationId,
                    deadline
                )
            )
        );
    }

    function _newPassport(address owner) internal returns (uint256 id) {
        vm.prank(owner);
        id = passport.createPassport();
    }

    /// A valid secp256k1 private key from any fuzz input.
    function _boundKey(uint256 key) internal pure returns (uint256) {
        return bound(key, 1, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140);
    }
}
