-- Where batching continues: the next L2 block to put into a channel and the hash it must build on.
CREATE TABLE cursor (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    next_block BIGINT NOT NULL,
    parent_hash BYTEA
);

-- Closed channels ('posting' until every frame is confirmed on L1, then 'done').
CREATE TABLE channels (
    seq BIGSERIAL PRIMARY KEY,
    id BYTEA NOT NULL UNIQUE,
    first_block BIGINT NOT NULL,
    last_block BIGINT NOT NULL,
    status TEXT NOT NULL
);

-- Frames: 'pending' (no L1 tx yet), 'sent' (L1 tx recorded and broadcast), 'confirmed'.
CREATE TABLE frames (
    channel_seq BIGINT NOT NULL REFERENCES channels(seq),
    number INT NOT NULL,
    data BYTEA NOT NULL,
    da_commitment BYTEA,
    status TEXT NOT NULL,
    nonce BIGINT,
    PRIMARY KEY (channel_seq, number)
);

-- L1 transactions, written before they are broadcast. `raw_tx`/`tx_hash` are the latest
-- (fee-bumped) version, `hashes` every version ever signed.
CREATE TABLE l1_txs (
    nonce BIGINT PRIMARY KEY,
    channel_seq BIGINT NOT NULL,
    frame_number INT NOT NULL,
    calldata BYTEA NOT NULL,
    raw_tx BYTEA NOT NULL,
    tx_hash BYTEA NOT NULL,
    hashes BYTEA[] NOT NULL,
    max_fee_per_gas BIGINT NOT NULL,
    max_priority_fee_per_gas BIGINT NOT NULL,
    gas_limit BIGINT NOT NULL,
    status TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    l1_block_number BIGINT,
    l1_block_hash BYTEA,
    FOREIGN KEY (channel_seq, frame_number) REFERENCES frames(channel_seq, number)
);
