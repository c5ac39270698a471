//! The error chain as `main` prints it: each cause once. Some libraries (the `image`
//! crate's decoders among them) put their source's text into their own message, which
//! `{:#}` would then print twice ("Invalid PNG signature.: Invalid PNG signature.").

/// `err` and its causes joined with ": ", skipping a cause whose text the message before it
/// already ends with.
pub fn error_chain(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let message = cause.to_string();
        if !text.is_empty() && text.ends_with(message.as_str()) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Repeating;

    impl std::fmt::Display for Repeating {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Format error decoding Png: Invalid PNG signature.")
        }
    }

    impl std::error::Error for Repeating {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&Inner)
        }
    }

    #[derive(Debug)]
    struct Inner;

    impl std::fmt::Display for Inner {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Invalid PNG signature.")
        }
    }

    impl std::error::Error for Inner {}

    #[test]
    fn a_cause_repeated_by_its_wrapper_is_printed_once() {
        let err = anyhow::Error::new(Repeating).context("cannot decode a.png");
        assert_eq!(
            format!("{err:#}").matches("Invalid PNG signature").count(),
            2
        );
        assert_eq!(
            error_chain(&err),
            "cannot decode a.png: Format error decoding Png: Invalid PNG signature."
        );
    }

    #[test]
    fn distinct_causes_are_all_kept() {
        let err = anyhow::anyhow!("disk full")
            .context("cannot write b")
            .context("cannot save");
        assert_eq!(error_chain(&err), "cannot save: cannot write b: disk full");
    }
}
