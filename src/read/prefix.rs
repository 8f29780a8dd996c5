//! ① Proving that a file begins with bytes an earlier import read: the file's first bytes are hashed
//! once, and at each candidate size a clone of the SHA-256 state is finalized and compared with the
//! ledger's digest of that content. A match proves the prefix unchanged (the file grew by appends),
//! and the state at that size goes on to hash the rest, so the whole file's SHA-256 is known
//! without reading the prefix twice.

use sha2::{Digest, Sha256};
use std::io::{self, Read};

/// A content the ledger knows: its size and SHA-256 (lower-case hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub size: u64,
    pub sha256: &'a str,
}

/// A proven prefix: which candidate (its index in the slice given) and the SHA-256 state after its
/// bytes.
pub struct Proven {
    pub index: usize,
    pub state: Sha256,
}

/// Hashes the first bytes of `input` (up to the largest candidate's size, each byte once) and
/// returns the largest candidate whose size and SHA-256 match the input's first bytes. `input` is
/// left somewhere at or before the largest candidate's size; the caller seeks to the proven size.
pub fn longest_proven<R: Read>(
    mut input: R,
    candidates: &[Candidate],
) -> io::Result<Option<Proven>> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| candidates[i].size);
    let mut hasher = Sha256::new();
    let mut at = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    let mut best = None;
    for i in order {
        let size = candidates[i].size;
        while at < size {
            let want = usize::try_from((size - at).min(buf.len() as u64)).unwrap_or(buf.len());
            let n = input.read(&mut buf[..want])?;
            if n == 0 {
                return Ok(best);
            }
            hasher.update(&buf[..n]);
            at += n as u64;
        }
        let digest = hex::encode(hasher.clone().finalize());
        if digest == candidates[i].sha256 {
            best = Some(Proven {
                index: i,
                state: hasher.clone(),
            });
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// A reader that hands out at most 7 bytes a call, so sizes fall inside reads.
    struct Dribble<'a>(&'a [u8]);
    impl Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(7);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_longest_matching_prefix_is_proven_and_its_state_hashes_on() {
        let file: Vec<u8> = (0..1000u32).flat_map(|i| i.to_le_bytes()).collect();
        let (a, b, c) = (sha(&file[..100]), sha(&file[..3001]), sha(b"other"));
        let candidates = [
            Candidate {
                size: 3001,
                sha256: &b,
            },
            Candidate {
                size: 100,
                sha256: &a,
            },
            Candidate {
                size: 2000,
                sha256: &c,
            },
        ];
        let proven = longest_proven(Dribble(&file), &candidates)
            .unwrap()
            .expect("a prefix is proven");
        assert_eq!(proven.index, 0, "the longest of the matching prefixes");
        let mut state = proven.state;
        state.update(&file[3001..]);
        assert_eq!(hex::encode(state.finalize()), sha(&file));
    }

    #[test]
    fn a_changed_byte_or_a_shorter_file_proves_nothing() {
        let file = b"header\nrow 1\nrow 2\n".to_vec();
        let old = sha(&file[..13]);
        let mut changed = file.clone();
        changed[3] ^= 1;
        let candidates = [Candidate {
            size: 13,
            sha256: &old,
        }];
        assert!(longest_proven(&file[..], &candidates).unwrap().is_some());
        assert!(longest_proven(&changed[..], &candidates).unwrap().is_none());
        assert!(longest_proven(&file[..12], &candidates).unwrap().is_none());
        assert!(longest_proven(&file[..], &[]).unwrap().is_none());
    }

    #[test]
    fn a_prefix_of_the_whole_file_size_is_proven_too() {
        let file = b"h\na\n";
        let whole = sha(file);
        let proven = longest_proven(
            &file[..],
            &[Candidate {
                size: 4,
                sha256: &whole,
            }],
        )
        .unwrap();
        assert!(proven.is_some());
    }
}
