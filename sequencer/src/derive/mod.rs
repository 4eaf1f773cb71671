//! Derivation of L2 blocks from L1 data (OP stack rules): frames, channels, batches.
