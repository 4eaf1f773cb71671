// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {
    AccessControlUpgradeable
} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {
    PausableUpgradeable
} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {
    ERC1155Upgradeable
} from "@openzeppelin/contracts-upgradeable/token/ERC1155/ERC1155Upgradeable.sol";
import {
    EIP712Upgradeable
} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC5192} from "./IERC5192.sol";
import {ITRexPassport} from "./ITRexPassport.sol";

/// @title TRexBadge
/// @notice Soulbound ERC-1155 badges of T-Rex Chain. The token id of a badge is its class id; a
///         passport holds at most one badge of a class, held by the passport's owner. Every token
///         is locked (ERC-5192): transfers and approvals revert, `locked(id)` is true and `Locked`
///         is emitted on each mint.
///
///         Any address may create a badge class and becomes its issuer. A badge is minted only
///         with an EIP-712 `MintAttestation` signed by a validator the class trusts; each
///         attestation id is used once. Minting credits the class's points (in its category) to
///         the passport; revocation by the issuer burns the badge and debits exactly the points
///         that mint credited.
/// @dev Deploy behind an ERC1967 proxy and call `initialize`; upgrades (UUPS) need UPGRADER_ROLE.
///      This contract must be TRexPassport's `badgeContract` for points to move.
contract TRexBadge is
    Initializable,
    ERC1155Upgradeable,
    AccessControlUpgradeable,
    PausableUpgradeable,
    EIP712Upgradeable,
    UUPSUpgradeable,
    IERC5192
{
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// EIP-712 struct a trusted validator signs for a mint.
    bytes32 public constant MINT_ATTESTATION_TYPEHASH = keccak256(
        "MintAttestation(uint256 classId,uint256 passportId,address recipient,bytes32 attestationId,uint256 deadline)"
    );

    /// What a project declares when it creates a badge class.
    struct ClassParams {
        string uri; // metadata URI (ERC-1155 `uri(id)`)
        uint128 points; // points credited per badge
        bytes32 pointsCategory; // category the points go to
        bytes32 validatorKind; // e.g. keccak256("NFT"), keccak256("ZKTLS")
        bytes32 paramsHash; // hash of the validator's condition parameters (off-chain JSON)
        uint64 supplyCap; // 0 = unlimited; counts live badges
        uint64 startTime; // first second minting is open (0 = at once)
        uint64 endTime; // last second minting is open (0 = never closes)
        uint64 expiry; // badge validity in seconds from mint (0 = never expires)
    }

    /// A badge class as stored.
    struct BadgeClass {
        address issuer;
        uint128 points;
        uint64 supplyCap;
        uint64 startTime;
        uint64 endTime;
        uint64 expiry;
        uint64 supply; // live badges (minted minus revoked)
        bytes32 pointsCategory;
        bytes32 validatorKind;
        bytes32 paramsHash;
        string uri;
    }

    /// A badge held by a passport.
    struct Badge {
        uint64 mintedAt; // 0 = not held
        uint64 expiresAt; // 0 = never
        uint128 points; // points credited at mint (debited on revocation)
    }

    // --- storage (append only: this contract is upgradeable) ----------------------------------
    ITRexPassport public passport;
    uint256 public classCount;
    mapping(uint256 classId => BadgeClass) private _classes;
    mapping(uint256 classId => mapping(address validator => bool)) public isTrustedValidator;
    mapping(uint256 classId => mapping(uint256 passportId => Badge)) private _badges;
    mapping(bytes32 attestationId => bool) public attestationUsed;

    // --- events --------------------------------------------------------------------------------
    event ClassCreated(
        uint256 indexed classId,
        address indexed issuer,
        bytes32 indexed validatorKind,
        bytes32 paramsHash,
        bytes32 pointsCategory,
        uint128 points,
        uint64 supplyCap,
        uint64 startTime,
        uint64 endTime,
        uint64 expiry,
        string uri
    );
    event ClassValidatorSet(uint256 indexed classId, address indexed validator, bool trusted);
    event ClassURISet(uint256 indexed classId, string uri);
    event ClassIssuerTransferred(
        uint256 indexed classId, address indexed previous, address indexed current
    );
    event BadgeMinted(
        uint256 indexed classId,
        uint256 indexed passportId,
        address indexed recipient,
        address validator,
        bytes32 attestationId,
        uint128 points,
        uint64 expiresAt
    );
    event BadgeRevoked(
        uint256 indexed classId, uint256 indexed passportId, address indexed holder, uint128 points
    );

    // --- errors --------------------------------------------------------------------------------
    error ClassNotFound(uint256 classId);
    error NotClassIssuer(uint256 classId, address caller);
    error InvalidClassWindow(uint64 startTime, uint64 endTime);
    error MintNotOpen(uint256 classId, uint256 nowTimestamp);
    error SupplyCapReached(uint256 classId, uint64 supplyCap);
    error AlreadyHoldsBadge(uint256 classId, uint256 passportId);
    error BadgeNotHeld(uint256 classId, uint256 passportId);
    error RecipientNotPassportOwner(uint256 passportId, address recipient);
    error AttestationExpired(uint256 deadline, uint256 nowTimestamp);
    error AttestationAlreadyUsed(bytes32 attestationId);
    error InvalidSignature();
    error UntrustedValidator(uint256 classId, address signer);
    error BadgeLocked();
    error ZeroAddress();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// Sets up the proxy: `admin` gets DEFAULT_ADMIN_ROLE, PAUSER_ROLE and UPGRADER_ROLE.
    function initialize(address admin, ITRexPassport passport_) external initializer {
        if (admin == address(0) || address(passport_) == address(0)) revert ZeroAddress();
        __ERC1155_init("");
        __AccessControl_init();
        __Pausable_init();
        __EIP712_init("TRexBadge", "1");
        passport = passport_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    // --- classes -------------------------------------------------------------------------------
    /// Creates a badge class issued by the caller, trusting `validators`.
    function createClass(ClassParams calldata params, address[] calldata validators)
        external
        whenNotPaused
        returns (uint256 classId)
    {
        if (params.endTime != 0 && params.endTime < params.startTime) {
            revert InvalidClassWindow(params.startTime, params.endTime);
        }
        classId = ++classCount;
        BadgeClass storage c = _classes[classId];
        c.issuer = _msgSender();
        c.points = params.points;
        c.supplyCap = params.supplyCap;
        c.startTime = params.startTime;
        c.endTime = params.endTime;
        c.expiry = params.expiry;
        c.pointsCategory = params.pointsCategory;
        c.validatorKind = params.validatorKind;
        c.paramsHash = params.paramsHash;
        c.uri = params.uri;
        emit ClassCreated(
            classId,
            c.issuer,
            params.validatorKind,
            params.paramsHash,
            params.pointsCategory,
            params.points,
            params.supplyCap,
            params.startTime,
            params.endTime,
            params.expiry,
            params.uri
        );
        for (uint256 i; i < validators.length; ++i) {
            _setValidator(classId, validators[i], true);
        }
    }

    /// Trusts or distrusts a validator for a class; issuer only.
    function setClassValidator(uint256 classId, address validator, bool trusted)
        external
        whenNotPaused
    {
        _onlyIssuer(classId);
        _setValidator(classId, validator, trusted);
    }

    /// Replaces a class's metadata URI; issuer only.
    function setClassURI(uint256 classId, string calldata newUri) external whenNotPaused {
        _onlyIssuer(classId);
        _classes[classId].uri = newUri;
        emit ClassURISet(classId, newUri);
        emit URI(newUri, classId);
    }

    /// Hands a class to a new issuer; issuer only.
    function transferClassIssuer(uint256 classId, address newIssuer) external whenNotPaused {
        _onlyIssuer(classId);
        if (newIssuer == address(0)) revert ZeroAddress();
        emit ClassIssuerTransferred(classId, _classes[classId].issuer, newIssuer);
        _classes[classId].issuer = newIssuer;
    }

    function getClass(uint256 classId) external view returns (BadgeClass memory) {
        _requireClass(classId);
        return _classes[classId];
    }

    function getBadge(uint256 classId, uint256 passportId) external view returns (Badge memory) {
        return _badges[classId][passportId];
    }

    /// Whether passport `passportId` holds an unexpired badge of `classId`.
    function isBadgeValid(uint256 classId, uint256 passportId) external view returns (bool) {
        Badge memory b = _badges[classId][passportId];
        return b.mintedAt != 0 && (b.expiresAt == 0 || block.timestamp < b.expiresAt);
    }

    /// The EIP-712 domain separator (name "TRexBadge", version "1").
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // --- mint and revoke -----------------------------------------------------------------------
    /// Mints a badge of `classId` to the owner of `passportId` with a validator's EIP-712
    /// MintAttestation(classId, passportId, recipient = ownerOf(passportId), attestationId,
    /// deadline). Anyone may submit it (the badge always goes to the passport's owner).
    function mint(
        uint256 classId,
        uint256 passportId,
        bytes32 attestationId,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        BadgeClass storage c = _requireClass(classId);
        if (block.timestamp > deadline) revert AttestationExpired(deadline, block.timestamp);
        if (block.timestamp < c.startTime || (c.endTime != 0 && block.timestamp > c.endTime)) {
            revert MintNotOpen(classId, block.timestamp);
        }
        if (attestationUsed[attestationId]) revert AttestationAlreadyUsed(attestationId);
        if (_badges[classId][passportId].mintedAt != 0) {
            revert AlreadyHoldsBadge(classId, passportId);
        }
        if (c.supplyCap != 0 && c.supply >= c.supplyCap) {
            revert SupplyCapReached(classId, c.supplyCap);
        }
        address recipient = passport.ownerOf(passportId);
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    MINT_ATTESTATION_TYPEHASH,
                    classId,
                    passportId,
                    recipient,
                    attestationId,
                    deadline
                )
            )
        );
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature();
        if (!isTrustedValidator[classId][signer]) revert UntrustedValidator(classId, signer);

        attestationUsed[attestationId] = true;
        uint64 expiresAt = c.expiry == 0 ? 0 : uint64(block.timestamp) + c.expiry;
        uint128 pts = c.points;
        _badges[classId][passportId] =
            Badge({mintedAt: uint64(block.timestamp), expiresAt: expiresAt, points: pts});
        c.supply += 1;
        if (pts != 0) passport.creditPoints(passportId, c.pointsCategory, pts);
        emit BadgeMinted(classId, passportId, recipient, signer, attestationId, pts, expiresAt);
        _mint(recipient, classId, 1, "");
        emit Locked(classId);
    }

    /// Burns the badge of `classId` held by `passportId` and debits its points; issuer only.
    function revoke(uint256 classId, uint256 passportId) external whenNotPaused {
        BadgeClass storage c = _onlyIssuer(classId);
        Badge memory b = _badges[classId][passportId];
        if (b.mintedAt == 0) revert BadgeNotHeld(classId, passportId);
        delete _badges[classId][passportId];
        c.supply -= 1;
        address holder = passport.ownerOf(passportId);
        if (b.points != 0) passport.debitPoints(passportId, c.pointsCategory, b.points);
        _burn(holder, classId, 1);
        emit BadgeRevoked(classId, passportId, holder, b.points);
    }

    // --- ERC-1155 / ERC-5192 -------------------------------------------------------------------
    /// The class's metadata URI.
    function uri(uint256 classId) public view override returns (string memory) {
        return _classes[classId].uri;
    }

    /// Every badge is locked; reverts for an unknown class.
    function locked(uint256 tokenId) external view returns (bool) {
        _requireClass(tokenId);
        return true;
    }

    /// Approvals are pointless for locked tokens: always reverts.
    function setApprovalForAll(address, bool) public pure override {
        revert BadgeLocked();
    }

    /// Only mints and burns move balances; any transfer reverts with `BadgeLocked`.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        if (from != address(0) && to != address(0)) revert BadgeLocked();
        super._update(from, to, ids, values);
    }

    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC1155Upgradeable, AccessControlUpgradeable)
        returns (bool)
    {
        return interfaceId == type(IERC5192).interfaceId || super.supportsInterface(interfaceId);
    }

    // --- internals -----------------------------------------------------------------------------
    function _requireClass(uint256 classId) internal view returns (BadgeClass storage c) {
        c = _classes[classId];
        if (c.issuer == address(0)) revert ClassNotFound(classId);
    }

    function _onlyIssuer(uint256 classId) internal view returns (BadgeClass storage c) {
        c = _requireClass(classId);
        if (c.issuer != _msgSender()) revert NotClassIssuer(classId, _msgSender());
    }

    function _setValidator(uint256 classId, address validator, bool trusted) internal {
        if (validator == address(0)) revert ZeroAddress();
        isTrustedValidator[classId][validator] = trusted;
        emit ClassValidatorSet(classId, validator, trusted);
    }
}
