//! Module installer.
