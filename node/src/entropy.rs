//! `fill`: the node's one source of randomness (generated codes, key ids and secrets, tokens of
//! keyless writes, membership nonces). Production draws from the OS; the simulation from madsim's
//! seeded generator, so that a seed replays exactly (the OS source reaches the kernel through a
//! raw system call that madsim cannot intercept).

#[cfg(not(madsim))]
pub fn fill(bytes: &mut [u8]) {
    use rand::RngCore;
    rand::rngs::OsRng.fill_bytes(bytes);
}

#[cfg(madsim)]
pub fn fill(bytes: &mut [u8]) {
    use rand::RngCore;
    madsim::rand::thread_rng().fill_bytes(bytes);
}

/// One value uniform in `0..bound` (`bound` at most 256), by rejection so that no value is more
/// likely than another.
pub fn below(bound: u8) -> u8 {
    assert!(bound > 0, "an empty range");
    let zone = u8::MAX - (u8::MAX % bound);
    loop {
        let mut byte = [0u8];
        fill(&mut byte);
        if byte[0] < zone {
            return byte[0] % bound;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_their_range_and_differ() {
        assert!((0..1000).all(|_| below(36) < 36));
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        fill(&mut a);
        fill(&mut b);
        assert_ne!(a, b);
    }
}
