//! [`UsageError`]: a command line that cannot run as given, which `main` answers with exit
//! code 2. The checks of flags return it; so do the commands for what only they can check.

/// An error in how callwatch was called (exit code 2), as opposed to one while running (1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
