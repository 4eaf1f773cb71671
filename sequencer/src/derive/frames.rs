//! Batcher data → frames → channels, with Holocene's strict ordering: one channel is assembled
//! at a time, its frames must arrive in order, and a complete channel is handed on at once.

use super::{DeriveError, L1BlockRef};
use kona_genesis::RollupConfig;
use kona_protocol::{ChannelId, DERIVATION_VERSION_0, FRAME_OVERHEAD, Frame};

/// The frames of one batch-inbox payload (`0x00 ‖ frame…`). Any malformed frame rejects the
/// whole payload, as the spec requires.
pub(crate) fn parse_batcher_data(data: &[u8]) -> Result<Vec<Frame>, DeriveError> {
    match data.first() {
        None => return Err(DeriveError::Frames("empty batcher data".into())),
        Some(&DERIVATION_VERSION_0) => {}
        Some(&version) => return Err(DeriveError::UnknownVersion(version)),
    }
    Frame::parse_frames(data).map_err(|err| DeriveError::Frames(err.to_string()))
}

/// A channel being assembled.
#[derive(Debug)]
struct Staging {
    id: ChannelId,
    /// The L1 block its first frame came in.
    opened: u64,
    next_frame: u16,
    data: Vec<u8>,
    /// Frame data plus the per-frame overhead, compared with the channel size limit.
    size: usize,
}

/// The channel bank after Holocene: a single staging channel.
#[derive(Debug, Default)]
pub(crate) struct ChannelAssembler {
    staging: Option<Staging>,
    /// The channel of the last frame accepted, and whether that frame closed it: a frame 0 of the
    /// same channel again is a duplicate.
    last: Option<ChannelId>,
}

impl ChannelAssembler {
    /// Whether a channel is partly assembled.
    pub(crate) const fn is_idle(&self) -> bool {
        self.staging.is_none()
    }

    /// Drops the staging channel if it has been open for more than the channel timeout at L1
    /// block `origin`.
    pub(crate) fn check_timeout(&mut self, cfg: &RollupConfig, origin: &L1BlockRef) {
        if let Some(staging) = &self.staging {
            let timeout = cfg.channel_timeout(origin.timestamp);
            if origin.number > staging.opened.saturating_add(timeout) {
                tracing::warn!(
                    channel = %alloy_primitives::hex::encode(staging.id),
                    opened = staging.opened,
                    l1 = origin.number,
                    timeout,
                    "channel timed out: dropped"
                );
                self.staging = None;
                self.last = None;
            }
        }
    }

    /// Adds a frame read from L1 block `origin`; returns the compressed channel data when the
    /// frame completes its channel. Frames that break the ordering rules are dropped with a
    /// logged reason.
    pub(crate) fn add_frame(
        &mut self,
        cfg: &RollupConfig,
        origin: &L1BlockRef,
        frame: Frame,
    ) -> Option<Vec<u8>> {
        self.check_timeout(cfg, origin);
        let id = alloy_primitives::hex::encode(frame.id);
        if frame.number == 0 {
            if self.last == Some(frame.id) {
                tracing::warn!(channel = %id, "duplicate first frame of a channel: dropped");
                return None;
            }
            if let Some(old) = self.staging.take() {
                tracing::warn!(
                    old = %alloy_primitives::hex::encode(old.id),
                    new = %id,
                    "a new channel started before the open one was complete: open channel dropped"
                );
            }
            self.staging = Some(Staging {
                id: frame.id,
                opened: origin.number,
                next_frame: 0,
                data: Vec::new(),
                size: 0,
            });
        }
        let staging = match &mut self.staging {
            Some(staging) if staging.id == frame.id && staging.next_frame == frame.number => {
                staging
            }
            _ => {
                tracing::warn!(channel = %id, number = frame.number, "frame out of order or of no open channel: dropped");
                return None;
            }
        };
        self.last = Some(frame.id);
        staging.size = staging.size.saturating_add(frame.data.len() + FRAME_OVERHEAD);
        let max = cfg.max_rlp_bytes_per_channel(origin.timestamp);
        if staging.size as u64 > max {
            tracing::warn!(channel = %id, size = staging.size, max, "channel exceeds the size limit: dropped");
            self.staging = None;
            self.last = None;
            return None;
        }
        staging.data.extend_from_slice(&frame.data);
        if frame.is_last {
            let staging = self.staging.take()?;
            tracing::debug!(channel = %id, frames = frame.number + 1, bytes = staging.data.len(), "channel complete");
            return Some(staging.data);
        }
        match staging.next_frame.checked_add(1) {
            Some(next) => staging.next_frame = next,
            None => {
                tracing::warn!(channel = %id, "channel has more frames than a frame number can count: dropped");
                self.staging = None;
                self.last = None;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive::test_utils::{block, config, frame};
    use proptest::prelude::*;
    use rstest::rstest;

    fn feed(frames: Vec<Frame>) -> Vec<Vec<u8>> {
        let cfg = config();
        let mut assembler = ChannelAssembler::default();
        frames.into_iter().filter_map(|f| assembler.add_frame(&cfg, &block(10), f)).collect()
    }

    #[rstest]
    #[case::empty(vec![], "empty")]
    #[case::unknown_version(vec![0x01, 0xaa], "unknown derivation version 1")]
    #[case::truncated(vec![0x00, 0x01, 0x02], "frame")]
    fn batcher_data_errors(#[case] data: Vec<u8>, #[case] message: &str) {
        let err = parse_batcher_data(&data).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
    }

    #[test]
    fn batcher_data_with_two_frames() {
        let mut data = vec![DERIVATION_VERSION_0];
        data.extend(frame(1, 0, b"ab", false).encode());
        data.extend(frame(1, 1, b"cd", true).encode());
        let frames = parse_batcher_data(&data).unwrap();
        assert_eq!(frames, vec![frame(1, 0, b"ab", false), frame(1, 1, b"cd", true)]);
        // A trailing partial frame rejects the whole payload.
        data.push(0);
        assert!(parse_batcher_data(&data).is_err());
    }

    #[rstest]
    #[case::in_order(vec![frame(1, 0, b"a", false), frame(1, 1, b"b", false), frame(1, 2, b"c", true)], vec![b"abc".to_vec()])]
    #[case::single_frame(vec![frame(1, 0, b"x", true)], vec![b"x".to_vec()])]
    #[case::gap_dropped(vec![frame(1, 0, b"a", false), frame(1, 2, b"c", true)], vec![])]
    #[case::duplicate_dropped(vec![frame(1, 0, b"a", false), frame(1, 0, b"z", false), frame(1, 1, b"b", true)], vec![b"ab".to_vec()])]
    #[case::reordered_dropped(vec![frame(1, 1, b"b", true), frame(1, 0, b"a", false)], vec![])]
    #[case::new_channel_drops_open(vec![frame(1, 0, b"a", false), frame(2, 0, b"x", false), frame(1, 1, b"b", true), frame(2, 1, b"y", true)], vec![b"xy".to_vec()])]
    #[case::other_channel_non_first_dropped(vec![frame(1, 0, b"a", false), frame(2, 1, b"x", true), frame(1, 1, b"b", true)], vec![b"ab".to_vec()])]
    #[case::after_close_dropped(vec![frame(1, 0, b"a", true), frame(1, 1, b"b", true), frame(1, 0, b"c", true)], vec![b"a".to_vec()])]
    #[case::two_channels(vec![frame(1, 0, b"a", true), frame(2, 0, b"b", true)], vec![b"a".to_vec(), b"b".to_vec()])]
    fn holocene_frame_ordering(#[case] frames: Vec<Frame>, #[case] channels: Vec<Vec<u8>>) {
        assert_eq!(feed(frames), channels);
    }

    #[test]
    fn channel_times_out() {
        let cfg = config();
        let timeout = cfg.channel_timeout(0);
        let open = || {
            let mut assembler = ChannelAssembler::default();
            assert!(assembler.add_frame(&cfg, &block(10), frame(1, 0, b"a", false)).is_none());
            assert!(!assembler.is_idle());
            assembler
        };
        // Still in time at open + timeout.
        let mut in_time = open();
        let done = in_time.add_frame(&cfg, &block(10 + timeout), frame(1, 1, b"b", true));
        assert_eq!(done, Some(b"ab".to_vec()));
        // One block later it is gone, and its last frame is dropped.
        let mut late = open();
        assert!(late.add_frame(&cfg, &block(11 + timeout), frame(1, 1, b"b", true)).is_none());
        assert!(late.is_idle());
        // Reaching the block alone also drops it.
        let mut idle = open();
        idle.check_timeout(&cfg, &block(11 + timeout));
        assert!(idle.is_idle());
    }

    #[test]
    fn channel_over_size_limit_is_dropped() {
        let cfg = config();
        let max = cfg.max_rlp_bytes_per_channel(0) as usize;
        let mut assembler = ChannelAssembler::default();
        let big = vec![0u8; max / 2];
        assert!(assembler.add_frame(&cfg, &block(1), frame(1, 0, &big, false)).is_none());
        assert!(assembler.add_frame(&cfg, &block(1), frame(1, 1, &big, true)).is_none());
        assert!(assembler.is_idle());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Fuzz target: arbitrary batcher data never panics the frame parser.
        #[test]
        fn parse_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_batcher_data(&data);
        }

        /// Fuzz target: mutated valid frame encodings parse or are rejected, never panic, and
        /// whatever parses is fed to the channel assembler without a panic.
        #[test]
        fn mutated_frames_into_assembler(
            payload in proptest::collection::vec(any::<u8>(), 0..200),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
            cut in any::<usize>(),
        ) {
            let mut data = vec![DERIVATION_VERSION_0];
            data.extend(frame(7, 0, &payload, false).encode());
            data.extend(frame(7, 1, &payload, true).encode());
            for (at, value) in flips {
                let at = at % data.len();
                data[at] ^= value;
            }
            data.truncate(1 + cut % data.len());
            let cfg = config();
            let mut assembler = ChannelAssembler::default();
            if let Ok(frames) = parse_batcher_data(&data) {
                for f in frames {
                    let _ = assembler.add_frame(&cfg, &block(3), f);
                }
            }
        }
    }
}
