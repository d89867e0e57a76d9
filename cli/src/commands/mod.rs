//! One module per subcommand: its arguments (clap derive) and its `run`.

pub mod label;
pub mod map;
pub mod organize;
pub mod segment;
pub mod train;
