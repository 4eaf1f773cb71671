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
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {
    EIP712Upgradeable
} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ITRexPassport} from "./ITRexPassport.sol";

/// @title TRexPassport
/// @notice One on-chain identity per user on T-Rex Chain. A passport is created by (and forever
///         owned by) one address; it cannot be transferred and an address owns at most one.
///         Its DID is `did:trex:<chainId>:<passportId>` (decimal chain id and passport id, e.g.
///         `did:trex:7777:1`), returned by `did(passportId)`.
///
///         Linked identities:
///         - EVM wallets: the passport owner submits an EIP-712 `LinkWallet` signature made by the
///           wallet itself (ERC-1271 contract wallets are accepted too); the nonce is the wallet's
///           `nonces(wallet)` and is consumed, and `deadline` (unix seconds) is enforced.
///         - Solana addresses (32-byte ed25519 public keys) and Web2 accounts: the owner submits an
///           EIP-712 attestation signed by a holder of VALIDATOR_ROLE (the validator service checks
///           the Solana signature / the Web2 account off-chain). Each `attestationId` is used once.
///           For Web2 only `keccak256(handle)` is stored, never the handle.
///         A wallet, Solana address or Web2 account belongs to at most one passport; a passport
///         owner counts as a wallet of its own passport.
///
///         Points are held per passport and per category (bytes32). Only the badge contract
///         (`badgeContract`) and TASK_ISSUER_ROLE holders move them; badge points and task points
///         are booked separately (`badgePoints`, `taskPoints`) and `points` is their sum, so a task
///         issuer can never debit points a badge credited, nor the reverse.
/// @dev Deploy behind an ERC1967 proxy and call `initialize`; upgrades (UUPS) need UPGRADER_ROLE.
contract TRexPassport is
    Initializable,
    AccessControlUpgradeable,
    PausableUpgradeable,
    NoncesUpgradeable,
    EIP712Upgradeable,
    UUPSUpgradeable,
    ITRexPassport
{
    using EnumerableSet for EnumerableSet.AddressSet;

    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 public constant VALIDATOR_ROLE = keccak256("VALIDATOR_ROLE");
    bytes32 public constant TASK_ISSUER_ROLE = keccak256("TASK_ISSUER_ROLE");

    /// EIP-712 struct the linked wallet signs.
    bytes32 public constant LINK_WALLET_TYPEHASH =
        keccak256("LinkWallet(uint256 passportId,address wallet,uint256 nonce,uint256 deadline)");
    /// EIP-712 struct a validator signs to link a Solana address.
    bytes32 public constant LINK_SOLANA_TYPEHASH = keccak256(
        "LinkSolana(uint256 passportId,bytes32 solanaAddress,bytes32 attestationId,uint256 deadline)"
    );
    /// EIP-712 struct a validator signs to link a Web2 account.
    bytes32 public constant LINK_WEB2_TYPEHASH = keccak256(
        "LinkWeb2(uint256 passportId,bytes32 platform,bytes32 handleHash,bytes32 attestationId,uint256 deadline)"
    );

    // --- storage (append only: this contract is upgradeable) ----------------------------------
    uint256 public passportCount;
    address public badgeContract;
    mapping(uint256 passportId => address) private _owners;
    mapping(address owner => uint256) private _passportOfOwner;
    mapping(address wallet => uint256) private _passportOfWallet;
    mapping(uint256 passportId => EnumerableSet.AddressSet) private _wallets;
    mapping(bytes32 solanaAddress => uint256) private _passportOfSolana;
    mapping(uint256 passportId => bytes32[]) private _solanaList;
    mapping(bytes32 accountKey => uint256) private _passportOfWeb2;
    mapping(uint256 passportId => mapping(bytes32 platform => bytes32)) private _web2;
    mapping(bytes32 attestationId => bool) public attestationUsed;
    mapping(uint256 passportId => mapping(bytes32 category => uint256)) public badgePoints;
    mapping(uint256 passportId => mapping(bytes32 category => uint256)) public taskPoints;

    // --- events --------------------------------------------------------------------------------
    event PassportCreated(uint256 indexed passportId, address indexed owner);
    event WalletLinked(uint256 indexed passportId, address indexed wallet, uint256 nonce);
    event WalletUnlinked(uint256 indexed passportId, address indexed wallet);
    event SolanaLinked(
        uint256 indexed passportId,
        bytes32 indexed solanaAddress,
        address indexed validator,
        bytes32 attestationId
    );
    event SolanaUnlinked(uint256 indexed passportId, bytes32 indexed solanaAddress);
    event Web2Linked(
        uint256 indexed passportId,
        bytes32 indexed platform,
        bytes32 handleHash,
        address indexed validator,
        bytes32 attestationId
    );
    event Web2Unlinked(uint256 indexed passportId, bytes32 indexed platform, bytes32 handleHash);
    event PointsCredited(
        uint256 indexed passportId,
        bytes32 indexed category,
        address indexed by,
        uint256 amount,
        uint256 balance
    );
    event PointsDebited(
        uint256 indexed passportId,
        bytes32 indexed category,
        address indexed by,
        uint256 amount,
        uint256 balance
    );
    event BadgeContractSet(address indexed previous, address indexed current);

    // --- errors --------------------------------------------------------------------------------
    error PassportNotFound(uint256 passportId);
    error AlreadyHasPassport(address owner, uint256 passportId);
    error NotPassportOwner(uint256 passportId, address caller);
    error WalletAlreadyLinked(address wallet, uint256 passportId);
    error WalletNotLinked(uint256 passportId, address wallet);
    error SolanaAlreadyLinked(bytes32 solanaAddress, uint256 passportId);
    error SolanaNotLinked(uint256 passportId, bytes32 solanaAddress);
    error Web2AlreadyLinked(bytes32 platform, bytes32 handleHash, uint256 passportId);
    error Web2NotLinked(uint256 passportId, bytes32 platform);
    error InvalidWalletSignature(address wallet);
    error InvalidSignature();
    error UntrustedValidator(address signer);
    error SignatureExpired(uint256 deadline, uint256 nowTimestamp);
    error AttestationAlreadyUsed(bytes32 attestationId);
    error UnauthorizedPointsSource(address caller);
    error InsufficientPoints(uint256 passportId, bytes32 category, uint256 balance, uint256 amount);
    error ZeroAddress();
    error ZeroValue();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// Sets up the proxy: `admin` gets DEFAULT_ADMIN_ROLE, PAUSER_ROLE and UPGRADER_ROLE.
    function initialize(address admin) external initializer {
        if (admin == address(0)) revert ZeroAddress();
        __AccessControl_init();
        __Pausable_init();
        __Nonces_init();
        __EIP712_init("TRexPassport", "1");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
    }

    // --- admin ---------------------------------------------------------------------------------
    /// The badge contract allowed to move badge points (address(0) disables it).
    function setBadgeContract(address badge) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit BadgeContractSet(badgeContract, badge);
        badgeContract = badge;
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    // --- passports -----------------------------------------------------------------------------
    /// Creates the caller's passport. Reverts when the caller already owns one or is a wallet
    /// linked to another passport.
    function createPassport() external whenNotPaused returns (uint256 passportId) {
        address owner = _msgSender();
        if (_passportOfOwner[owner] != 0) {
            revert AlreadyHasPassport(owner, _passportOfOwner[owner]);
        }
        if (_passportOfWallet[owner] != 0) {
            revert WalletAlreadyLinked(owner, _passportOfWallet[owner]);
        }
        passportId = ++passportCount;
        _owners[passportId] = owner;
        _passportOfOwner[owner] = passportId;
        _passportOfWallet[owner] = passportId;
        emit PassportCreated(passportId, owner);
    }

    /// @inheritdoc ITRexPassport
    function ownerOf(uint256 passportId) public view returns (address owner) {
        owner = _owners[passportId];
        if (owner == address(0)) revert PassportNotFound(passportId);
    }

    /// The passport `owner` owns, 0 when none.
    function passportOf(address owner) external view returns (uint256) {
        return _passportOfOwner[owner];
    }

    /// The passport `wallet` belongs to (as owner or linked wallet), 0 when none.
    function passportOfWallet(address wallet) external view returns (uint256) {
        return _passportOfWallet[wallet];
    }

    /// The passport a Solana address is linked to, 0 when none.
    function passportOfSolana(bytes32 solanaAddress) external view returns (uint256) {
        return _passportOfSolana[solanaAddress];
    }

    /// The passport a Web2 account (platform, keccak256(handle)) is linked to, 0 when none.
    function passportOfWeb2(bytes32 platform, bytes32 handleHash) external view returns (uint256) {
        return _passportOfWeb2[keccak256(abi.encode(platform, handleHash))];
    }

    /// `did:trex:<chainId>:<passportId>` in decimal; reverts for an unknown passport.
    function did(uint256 passportId) external view returns (string memory) {
        ownerOf(passportId);
        return string.concat(
            "did:trex:", Strings.toString(block.chainid), ":", Strings.toString(passportId)
        );
    }

    /// Linked EVM wallets of a passport (not including its owner).
    function linkedWallets(uint256 passportId) external view returns (address[] memory) {
        return _wallets[passportId].values();
    }

    /// Linked Solana addresses of a passport.
    function linkedSolana(uint256 passportId) external view returns (bytes32[] memory) {
        return _solanaList[passportId];
    }

    /// keccak256 of the handle linked on `platform`, 0 when none.
    function web2Account(uint256 passportId, bytes32 platform) external view returns (bytes32) {
        return _web2[passportId][platform];
    }

    /// Badge points plus task points of a category.
    function points(uint256 passportId, bytes32 category) external view returns (uint256) {
        return badgePoints[passportId][category] + taskPoints[passportId][category];
    }

    /// The EIP-712 domain separator (name "TRexPassport", version "1").
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // --- EVM wallets ---------------------------------------------------------------------------
    /// Links `wallet` to the caller's passport `passportId`. `signature` is the wallet's EIP-712
    /// signature of LinkWallet(passportId, wallet, nonces(wallet), deadline).
    function linkWallet(
        uint256 passportId,
        address wallet,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        _onlyOwner(passportId);
        if (wallet == address(0)) revert ZeroAddress();
        _checkDeadline(deadline);
        uint256 linked = _passportOfWallet[wallet];
        if (linked != 0) revert WalletAlreadyLinked(wallet, linked);
        uint256 nonce = _useNonce(wallet);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(LINK_WALLET_TYPEHASH, passportId, wallet, nonce, deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(wallet, digest, signature)) {
            revert InvalidWalletSignature(wallet);
        }
        _passportOfWallet[wallet] = passportId;
        _wallets[passportId].add(wallet);
        emit WalletLinked(passportId, wallet, nonce);
    }

    /// Unlinks `wallet`; called by the passport owner or by the wallet itself.
    function unlinkWallet(uint256 passportId, address wallet) external whenNotPaused {
        address caller = _msgSender();
        if (caller != wallet) _onlyOwner(passportId);
        if (!_wallets[passportId].remove(wallet)) revert WalletNotLinked(passportId, wallet);
        delete _passportOfWallet[wallet];
        emit WalletUnlinked(passportId, wallet);
    }

    // --- Solana --------------------------------------------------------------------------------
    /// Links a Solana address (ed25519 public key) with a validator's EIP-712 LinkSolana attestation.
    function linkSolana(
        uint256 passportId,
        bytes32 solanaAddress,
        bytes32 attestationId,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        _onlyOwner(passportId);
        if (solanaAddress == bytes32(0)) revert ZeroValue();
        uint256 linked = _passportOfSolana[solanaAddress];
        if (linked != 0) revert SolanaAlreadyLinked(solanaAddress, linked);
        address validator = _useAttestation(
            keccak256(
                abi.encode(LINK_SOLANA_TYPEHASH, passportId, solanaAddress, attestationId, deadline)
            ),
            attestationId,
            deadline,
            signature
        );
        _passportOfSolana[solanaAddress] = passportId;
        _solanaList[passportId].push(solanaAddress);
        emit SolanaLinked(passportId, solanaAddress, validator, attestationId);
    }

    /// Unlinks a Solana address; passport owner only.
    function unlinkSolana(uint256 passportId, bytes32 solanaAddress) external whenNotPaused {
        _onlyOwner(passportId);
        if (solanaAddress == bytes32(0) || _passportOfSolana[solanaAddress] != passportId) {
            revert SolanaNotLinked(passportId, solanaAddress);
        }
        delete _passportOfSolana[solanaAddress];
        bytes32[] storage list = _solanaList[passportId];
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == solanaAddress) {
                list[i] = list[list.length - 1];
                list.pop();
                break;
            }
        }
        emit SolanaUnlinked(passportId, solanaAddress);
    }

    // --- Web2 ----------------------------------------------------------------------------------
    /// Links a Web2 account: `platform` names it (e.g. keccak256("twitter")), `handleHash` is
    /// keccak256 of the handle. One account per platform per passport; replace by unlinking first.
    function linkWeb2(
        uint256 passportId,
        bytes32 platform,
        bytes32 handleHash,
        bytes32 attestationId,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        _onlyOwner(passportId);
        if (platform == bytes32(0) || handleHash == bytes32(0)) revert ZeroValue();
        bytes32 key = keccak256(abi.encode(platform, handleHash));
        uint256 linked = _passportOfWeb2[key];
        if (linked != 0) revert Web2AlreadyLinked(platform, handleHash, linked);
        if (_web2[passportId][platform] != bytes32(0)) {
            revert Web2AlreadyLinked(platform, _web2[passportId][platform], passportId);
        }
        address validator = _useAttestation(
            keccak256(
                abi.encode(
                    LINK_WEB2_TYPEHASH, passportId, platform, handleHash, attestationId, deadline
                )
            ),
            attestationId,
            deadline,
            signature
        );
        _passportOfWeb2[key] = passportId;
        _web2[passportId][platform] = handleHash;
        emit Web2Linked(passportId, platform, handleHash, validator, attestationId);
    }

    /// Unlinks the Web2 account of `platform`; passport owner only.
    function unlinkWeb2(uint256 passportId, bytes32 platform) external whenNotPaused {
        _onlyOwner(passportId);
        bytes32 handleHash = _web2[passportId][platform];
        if (handleHash == bytes32(0)) revert Web2NotLinked(passportId, platform);
        delete _web2[passportId][platform];
        delete _passportOfWeb2[keccak256(abi.encode(platform, handleHash))];
        emit Web2Unlinked(passportId, platform, handleHash);
    }

    // --- points --------------------------------------------------------------------------------
    /// @inheritdoc ITRexPassport
    function creditPoints(uint256 passportId, bytes32 category, uint256 amount)
        external
        whenNotPaused
    {
        ownerOf(passportId);
        uint256 balance;
        if (_msgSender() == badgeContract && badgeContract != address(0)) {
            balance = badgePoints[passportId][category] += amount;
        } else if (hasRole(TASK_ISSUER_ROLE, _msgSender())) {
            balance = taskPoints[passportId][category] += amount;
        } else {
            revert UnauthorizedPointsSource(_msgSender());
        }
        emit PointsCredited(passportId, category, _msgSender(), amount, balance);
    }

    /// @inheritdoc ITRexPassport
    function debitPoints(uint256 passportId, bytes32 category, uint256 amount)
        external
        whenNotPaused
    {
        ownerOf(passportId);
        mapping(uint256 => mapping(bytes32 => uint256)) storage book = badgePoints;
        if (_msgSender() != badgeContract || badgeContract == address(0)) {
            if (!hasRole(TASK_ISSUER_ROLE, _msgSender())) {
                revert UnauthorizedPointsSource(_msgSender());
            }
            book = taskPoints;
        }
        uint256 balance = book[passportId][category];
        if (balance < amount) revert InsufficientPoints(passportId, category, balance, amount);
        balance -= amount;
        book[passportId][category] = balance;
        emit PointsDebited(passportId, category, _msgSender(), amount, balance);
    }

    // --- internals -----------------------------------------------------------------------------
    function _onlyOwner(uint256 passportId) internal view {
        if (ownerOf(passportId) != _msgSender()) revert NotPassportOwner(passportId, _msgSender());
    }

    function _checkDeadline(uint256 deadline) internal view {
        if (block.timestamp > deadline) revert SignatureExpired(deadline, block.timestamp);
    }

    /// Checks deadline, single use and a VALIDATOR_ROLE signer; marks the attestation used.
    function _useAttestation(
        bytes32 structHash,
        bytes32 attestationId,
        uint256 deadline,
        bytes calldata signature
    ) internal returns (address validator) {
        _checkDeadline(deadline);
        if (attestationUsed[attestationId]) revert AttestationAlreadyUsed(attestationId);
        (address signer, ECDSA.RecoverError err,) =
            ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature();
        if (!hasRole(VALIDATOR_ROLE, signer)) revert UntrustedValidator(signer);
        attestationUsed[attestationId] = true;
        return signer;
    }
}
