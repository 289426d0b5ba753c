//! The one mapping from an HTTP error status to an [`ApiError`], shared by the client, the
//! Models API listing and the probe.

use super::ApiError;
use crate::exit::Exit;

/// Maps an error to its exit code: API/network errors are 3, everything else 2. (Here, not in
/// the `exit` leaf, so the leaf never reaches up into `api`.)
pub fn exit_code(err: &anyhow::Error) -> Exit {
    if err.chain().any(|c| c.downcast_ref::<ApiError>().is_some()) {
        Exit::Api
    } else {
        Exit::Usage
    }
}

/// 401/403 → [`ApiError::Auth`]; 404 → [`ApiError::NotFound`] naming `what` ("model 'x'");
/// anything else → [`ApiError::Status`] with the retries already made.
pub fn for_status(status: u16, message: String, what: &str, retries: u32) -> ApiError {
    match status {
        401 | 403 => ApiError::Auth { status, message },
        404 => ApiError::NotFound {
            what: format!("{what} ({message})"),
        },
        _ => ApiError::Status {
            status,
            message,
            retries,
        },
    }
}

/// True for the statuses [`for_status`] maps to auth or not-found errors (never retried, no
/// retry-after note).
pub fn is_auth_or_missing(status: u16) -> bool {
    matches!(status, 401 | 403 | 404)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_each_status_once() {
        assert!(matches!(
            for_status(401, "x".into(), "m", 0),
            ApiError::Auth { status: 401, .. }
        ));
        assert!(matches!(
            for_status(403, "x".into(), "m", 0),
            ApiError::Auth { status: 403, .. }
        ));
        match for_status(404, "gone".into(), "model 'm'", 0) {
            ApiError::NotFound { what } => assert_eq!(what, "model 'm' (gone)"),
            e => panic!("{e:?}"),
        }
        assert!(matches!(
            for_status(500, "x".into(), "m", 2),
            ApiError::Status {
                status: 500,
                retries: 2,
                ..
            }
        ));
        assert!(is_auth_or_missing(404) && !is_auth_or_missing(429));
    }
}
