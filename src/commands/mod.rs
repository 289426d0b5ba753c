//! One file per subcommand, gluing input, classification and rendering.

pub mod diagnose;
pub mod fixes;
pub mod generate;
pub mod history;
pub mod hook;
pub mod limits;
pub mod mock;
pub mod probe;
pub mod record;
pub mod replay;
pub mod setup;
pub mod status;
pub mod usage;
