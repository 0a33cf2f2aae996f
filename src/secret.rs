//! Secret values: generated or read only to pass straight to AWS. The type
//! cannot be serialised, and its `Debug`/`Display` print a placeholder, so
//! no secret can reach state, a plan file, stdout/stderr or a log line.

use std::fmt;

use rand::Rng;

/// A secret value held in memory for one AWS call.
pub struct Secret(String);

/// Letters and digits only: safe inside SQL string literals, JSON and
/// Kafka config without any escaping.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

impl Secret {
    /// A random password from the operating system's CSPRNG.
    pub fn generate(len: usize) -> Self {
        let mut rng = rand::rng();
        Secret(
            (0..len)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect(),
        )
    }

    pub fn from_string(s: String) -> Self {
        Secret(s)
    }

    /// The value, for the one call that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Overwrite before the allocation is freed.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        std::hint::black_box(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_its_value() {
        let s = Secret::generate(32);
        assert_eq!(s.expose().len(), 32);
        assert!(s.expose().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_ne!(Secret::generate(32).expose(), s.expose());
    }
}
