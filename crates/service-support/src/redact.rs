//! Hiding credentials in URLs before they are printed.

/// `url` with its password replaced by `***`, for messages and logs; a URL without a password,
/// or a string that does not parse as a URL, is returned unchanged.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Cannot fail: a URL that has a password can have another one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::password("postgres://u:secret@h/db", "postgres://u:***@h/db")]
    #[case::password_and_port(
        "postgres://u:secret@h:5432/db?x=1",
        "postgres://u:***@h:5432/db?x=1"
    )]
    #[case::no_password("postgres://u@h/db", "postgres://u@h/db")]
    #[case::no_user("http://127.0.0.1:8545", "http://127.0.0.1:8545")]
    #[case::not_a_url("not a url:secret@", "not a url:secret@")]
    fn hides_only_the_password(#[case] url: &str, #[case] expected: &str) {
        assert_eq!(redact_url(url), expected);
    }
}
