//! Typed addresses.
