//! Counted nouns in messages: "1 logged step", "2 logged steps".

/// `n` followed by `noun`, with an `s` unless `n` is 1 (every noun counted in the program's
/// messages takes a plain `s`).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1, "logged step"), "1 logged step");
        assert_eq!(count(0, "printed line"), "0 printed lines");
        assert_eq!(count(3, "image"), "3 images");
    }
}
